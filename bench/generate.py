"""The benchmark province: a fresh database built by the real migrations, then filled with Core bulk inserts.

Every commune has the same shape (one program of 30 tasks, 300 updates, 600 sites, 10,000 check-ins, a board
of 22 seats) and is generated from its own seeded random source, so commune 1 is the same at every scale.
Only the number of communes changes: 1 at 1/100 scale, 100 at full scale (see bench/README.md).
"""

import random
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import func, insert, select

from tracker import create_app
from tracker.auth.passwords import hash_password
from tracker.extensions import db
from tracker.models import (
    Board,
    CheckIn,
    Document,
    Membership,
    Program,
    PublicService,
    Site,
    Task,
    TaskUpdate,
    Unit,
    User,
)
from tracker.sites.codes import ALPHABET, LENGTH
from tracker.text import fold

VIEWER = "bench.viewer"
PASSWORD = "bench-Passw0rd"  # noqa: S105 (a throwaway account in a throwaway database)

TASKS_PER_COMMUNE = 30
UPDATES_PER_COMMUNE = 300
SITES_PER_COMMUNE = 600
CHECKINS_PER_COMMUNE = 10_000
SERVICES_PER_COMMUNE = 20
CHUNK = 50_000


@dataclass(frozen=True)
class Shape:
    name: str
    label: str
    communes: int


SHAPES = {
    "small": Shape("small", "1/100", communes=1),
    "full": Shape("full", "full", communes=100),
}


def app_config(url: str) -> dict:
    """The app's settings for a benchmark database (as in the tests: TESTING, rate limits in memory)."""
    return {
        "TESTING": True,
        "SECRET_KEY": "bench-secret",
        "DATABASE_URL": url,
        "RATELIMIT_STORAGE_URI": "memory://",
        "PUBLIC_BASE_URL": "https://cds.example.gov.vn",
        "SERVER_NAME": None,
    }


# --- the program every commune runs -------------------------------------------------------------------
# (title, category, measure_kind, baseline, target, unit_label, source, children)

LIVE_TASKS = [
    ("Tạo điểm QR cho cơ quan, doanh nghiệp, hộ kinh doanh", "qr_points", "count", 0, 600, "điểm", "sites_registered"),
    ("In và dán áp phích mã QR tại các điểm", "qr_points", "count", 0, 600, "điểm", "posters_printed"),
    ("Điểm QR có người dân quét trong 30 ngày", "qr_points", "count", 0, 400, "điểm", "sites_active"),
    ("Kiện toàn Ban chỉ đạo chuyển đổi số đủ thành viên", "board_membership", "count", 0, 27, "người", "board_members"),
]
MANUAL_TASKS = [
    ("Cung cấp thủ tục hành chính trực tuyến một phần, toàn trình", "online_services", "count", 0, 120, "thủ tục"),
    ("Tỷ lệ hồ sơ nộp trực tuyến", "indicator", "percent", 20, 80, "%"),
    ("Thu ngân sách nhà nước trên địa bàn", "indicator", "amount", 0, Decimal("2.94"), "tỷ đồng"),
    ("Giá trị sản xuất công nghiệp", "indicator", "amount", 0, Decimal("15.6"), "tỷ đồng"),
    ("Giảm tỷ lệ hộ nghèo", "indicator", "decrease", Decimal("3.5"), Decimal("1.0"), "%"),
    ("Tỷ lệ người dân tham gia bảo hiểm y tế", "indicator", "percent", 85, 99, "%"),
    ("Tỷ trọng kinh tế số trong GRDP", "indicator", "percent", 10, 35, "%"),
    ("Trang thông tin điện tử của phường được cập nhật thường xuyên", "milestone", "milestone", 0, 1, ""),
    ("Doanh nghiệp thành lập mới", "indicator", "count", 0, 220, "doanh nghiệp"),
    ("Hộ vi phạm hành lang an toàn được xử lý", "indicator", "count", 0, 53, "hộ"),
    ("Trường học đạt chuẩn quốc gia", "indicator", "percent", 60, 100, "%"),
    ("Thu nhập bình quân đầu người", "indicator", "amount", 50, 90, "triệu đồng/người/năm"),
    ("Tổ công nghệ số cộng đồng ở các tổ dân phố", "other", "count", 0, 25, "tổ"),
    ("Tài khoản định danh điện tử mức độ 2", "other", "count", 0, 8000, "tài khoản"),
    ("Thanh toán không dùng tiền mặt tại chợ", "indicator", "percent", 0, 70, "%"),
    ("Ban hành sổ tay chuyển đổi số của phường", "milestone", "milestone", 0, 1, ""),
]
PARENT_TASKS = [
    (
        "Chuyển đổi số trong cơ quan Đảng, chính quyền",
        [
            ("Văn bản điện tử có ký số", "indicator", "percent", 50, 100, "%"),
            ("Tổ chức họp trực tuyến giao ban hằng tuần", "milestone", "milestone", 0, 1, ""),
        ],
    ),
    (
        "Phổ cập kỹ năng số cho người dân",
        [
            ("Lớp tập huấn kỹ năng số", "other", "count", 0, 40, "lớp"),
            ("Người dân được tập huấn", "other", "count", 0, 3000, "người"),
            ("Hộ gia đình có cáp quang", "indicator", "percent", 60, 95, "%"),
        ],
    ),
    (
        "Hạ tầng số",
        [
            ("Phủ sóng 4G các tổ dân phố", "indicator", "percent", 80, 100, "%"),
            ("Điểm wifi công cộng miễn phí", "other", "count", 0, 15, "điểm"),
        ],
    ),
]
assert len(LIVE_TASKS) + len(MANUAL_TASKS) + sum(1 + len(c) for _t, c in PARENT_TASKS) == TASKS_PER_COMMUNE

SITE_KINDS = [
    ("household_business", "Hộ kinh doanh", 50),
    ("business", "Công ty TNHH", 20),
    ("agency", "Trụ sở", 8),
    ("school", "Trường", 5),
    ("health_facility", "Trạm y tế", 3),
    ("market", "Chợ", 2),
    ("heritage_site", "Đình", 2),
    ("residential_group", "Nhà văn hóa tổ dân phố", 8),
    ("other", "Điểm", 2),
]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Thu", "Quang", "Hữu", "Ngọc", "Thanh", "Xuân"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Lan", "Linh", "Mai", "Nam", "Phương"]
PLACE = ["Bãi Bông", "Phổ Yên", "Quang Trung", "Phùng Chí Kiên", "Đồng Tiến", "Tân Hương", "Hồng Tiến", "Ba Hàng"]
ROLES = ["head", "standing_deputy", "deputy", "deputy", "standing_member", "standing_member"]


def person(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def site_code(rng: random.Random, taken: set[str]) -> str:
    """12 Crockford base32 characters from 60 seeded random bits (tracker.sites.codes.new_code, but repeatable)."""
    while True:
        bits = rng.getrandbits(5 * LENGTH)
        code = "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in range(LENGTH))
        if code not in taken:
            taken.add(code)
            return code


class Ids:
    """Explicit primary keys, so rows can point at each other without reading anything back."""

    def __init__(self):
        self._last: dict[str, int] = {}

    def next(self, table: str) -> int:
        self._last[table] = self._last.get(table, 0) + 1
        return self._last[table]


class Loader:
    """Buffers rows per table and writes them with executemany, CHUNK rows at a time."""

    def __init__(self, conn, order):
        self.conn = conn
        self.order = order  # parents first, so foreign keys hold at every flush
        self.rows: dict[sa.Table, list[dict]] = {t: [] for t in order}

    def add(self, table: sa.Table, row: dict) -> None:
        self.rows[table].append(row)
        if len(self.rows[table]) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        for table in self.order:
            if self.rows[table]:
                self.conn.execute(insert(table), self.rows[table])
                self.rows[table] = []


@dataclass
class Clock:
    now: datetime  # naive UTC, as the UTCDateTime columns store it
    today: date

    def stamp(self, rng: random.Random, days_back: int) -> datetime:
        return self.now - timedelta(seconds=rng.randrange(days_back * 86_400))


def _rows(clock: Clock, when: datetime | None = None) -> dict:
    when = when or clock.now
    return {"created_at": when, "updated_at": when}


def _versioned(clock: Clock, when: datetime | None = None) -> dict:
    return {**_rows(clock, when), "version": 1}


def _add_commune(load: Loader, ids: Ids, clock: Clock, index: int, province_id: int, codes: set[str], pw: str):
    rng = random.Random(f"tracker-bench-commune-{index}")
    kind = "ward" if index % 3 else "commune"
    name = f"{'Phường' if kind == 'ward' else 'Xã'} {PLACE[index % len(PLACE)]} {index + 1}"
    unit_id = ids.next("units")
    load.add(
        Unit.__table__,
        {
            "id": unit_id,
            "code": f"9{index:04d}",
            "name": name,
            "search_name": fold(name),
            "kind": kind,
            "parent_id": province_id,
            "valid_from": date(2025, 7, 1),
            **_versioned(clock),
        },
    )

    basis_id, decision_id = ids.next("documents"), ids.next("documents")
    for doc_id, ref, number, kind_code, issued, title in (
        (basis_id, "27-CTr/ĐU", "27", "CTr", date(2021, 2, 7), "Chương trình hành động về chuyển đổi số"),
        (decision_id, "63-QĐ/ĐU", "63", "QĐ", date(2021, 12, 13), "Quyết định thành lập Ban chỉ đạo chuyển đổi số"),
    ):
        load.add(
            Document.__table__,
            {
                "id": doc_id,
                "unit_id": unit_id,
                "reference": ref,
                "number": number,
                "kind_code": kind_code,
                "issuer_code": "ĐU",
                "issued_on": issued,
                "title": title,
                **_versioned(clock),
            },
        )

    user_id = ids.next("users")
    load.add(
        User.__table__,
        {
            "id": user_id,
            "username": f"bench.manager{index + 1}",
            "full_name": person(rng),
            "password_hash": pw,
            "role": "manager",
            "unit_id": unit_id,
            "is_active": True,
            "session_token": f"bench-manager-{index + 1}-{rng.getrandbits(128):032x}",
            **_versioned(clock),
        },
    )

    board_id = ids.next("boards")
    load.add(
        Board.__table__,
        {
            "id": board_id,
            "unit_id": unit_id,
            "kind": "steering_board",
            "name": f"Ban chỉ đạo chuyển đổi số {name}",
            "established_by_document_id": decision_id,
            "target_size": 27,
            **_versioned(clock),
        },
    )
    member_ids = []
    for seat in range(22):
        current = seat < 20
        member_id = ids.next("memberships")
        member_ids.append(member_id)
        load.add(
            Membership.__table__,
            {
                "id": member_id,
                "board_id": board_id,
                "person_name": person(rng),
                "position": "Cán bộ phường",
                # The two seats that ended are ordinary members: a board has at most one current head.
                "role": ROLES[seat] if seat < len(ROLES) else "member",
                "phone": f"09{rng.randrange(10**8):08d}",
                "email": "",
                "starts_on": date(2021, 12, 13),
                "ends_on": None if current else clock.today - timedelta(days=rng.randrange(30, 400)),
                "appointed_by_document_id": decision_id,
                **_versioned(clock),
            },
        )

    program_id = ids.next("programs")
    load.add(
        Program.__table__,
        {
            "id": program_id,
            "unit_id": unit_id,
            "title": "Chương trình hành động số 27-CTr/ĐU về chuyển đổi số giai đoạn 2021–2025, tầm nhìn 2030",
            "basis_document_id": basis_id,
            "starts_on": date(2021, 2, 7),
            "ends_on": date(2030, 12, 31),
            "is_public": index % 2 == 0,
            "is_archived": False,
            **_versioned(clock),
        },
    )
    leaves = _add_tasks(load, ids, clock, rng, program_id, board_id, member_ids, user_id)
    _add_updates(load, ids, clock, rng, leaves, user_id)

    for n in range(SERVICES_PER_COMMUNE):
        load.add(
            PublicService.__table__,
            {
                "id": ids.next("public_services"),
                "unit_id": unit_id,
                "code": f"1.00{4200 + n}",
                "name": f"Thủ tục hành chính số {n + 1}",
                "field": rng.choice(["Hộ tịch", "Chứng thực", "Đất đai", "Xây dựng", "Kinh doanh"]),
                "level": rng.choice([2, 3, 3, 4, 4, 4]),
                "online_since": date(2022, 1, 1) + timedelta(days=rng.randrange(900)),
                **_versioned(clock),
            },
        )

    _add_sites_and_checkins(load, ids, clock, rng, unit_id, name, codes)
    # The task page to measure: the first hand-updated leaf (the same task at every scale).
    task_id = next(task_id for task_id, _spec, live in leaves if not live)
    return {"unit_id": unit_id, "program_id": program_id, "task_id": task_id}


def _add_tasks(load, ids, clock, rng, program_id, board_id, member_ids, user_id) -> list[tuple[int, tuple, bool]]:
    """The 30 tasks; returns the leaves as (task id, spec, live)."""
    leaves = []
    specs = [(spec, None) for spec in LIVE_TASKS] + [(spec, None) for spec in MANUAL_TASKS]
    specs += [((title, "other", "count", 0, None, ""), children) for title, children in PARENT_TASKS]
    order = list(range(len(specs)))
    rng.shuffle(order)
    table = Task.__table__

    def task_row(position, spec, parent_id):
        title, category, kind, baseline, target, label = spec[:6]
        source = spec[6] if len(spec) > 6 else "manual"
        roll = rng.random()
        owner = {"owner_member_id": rng.choice(member_ids)} if roll < 0.6 else {}
        if 0.6 <= roll < 0.9:
            owner["owner_name"] = person(rng)
        deadline = None if rng.random() < 0.1 else clock.today + timedelta(days=rng.randrange(-540, 540))
        lifecycle = "active"
        if source == "manual" and rng.random() < 0.04:
            lifecycle = rng.choice(["paused", "cancelled"])
        task_id = ids.next("tasks")
        load.add(
            table,
            {
                "id": task_id,
                "program_id": program_id,
                "parent_id": parent_id,
                "position": position,
                "title": title,
                "description": f"Triển khai: {title.lower()}." if rng.random() < 0.9 else "",
                "owner_member_id": owner.get("owner_member_id"),
                "owner_user_id": user_id if rng.random() < 0.2 else None,
                "owner_name": owner.get("owner_name", ""),
                "responsible": "UBND phường" if rng.random() < 0.9 else "",
                "deadline": deadline,
                "expected_result": f"Đạt {target} {label}".strip() if target is not None else "",
                "category": category,
                "weight": Decimal(rng.choice([1, 1, 1, 2, 3])),
                "update_every_days": rng.choice([None, 30, 90]),
                "lifecycle": lifecycle,
                "lifecycle_reason": "" if lifecycle == "active" else "Chờ kinh phí",
                "measure_kind": kind,
                "baseline": Decimal(baseline),
                "target": None if target is None else Decimal(target),
                "unit_label": label,
                "source": source,
                "source_site_kind": None,
                "source_board_id": board_id if source == "board_members" else None,
                **_versioned(clock),
            },
        )
        return task_id, source != "manual"

    for position, i in enumerate(order):
        spec, children = specs[i]
        task_id, live = task_row(position, spec, None)
        if children is None:
            leaves.append((task_id, spec, live))
            continue
        for child_position, child in enumerate(children):
            child_id, _live = task_row(child_position, child, task_id)
            leaves.append((child_id, child, False))
    return leaves


def _add_updates(load, ids, clock, rng, leaves, user_id) -> None:
    """300 dated updates per commune over its 27 leaf tasks, values rising towards a per-task final share."""
    per_leaf, extra = divmod(UPDATES_PER_COMMUNE, len(leaves))
    table = TaskUpdate.__table__
    for n, (task_id, spec, live) in enumerate(leaves):
        _title, _category, kind, baseline, target, _label = spec[:6]
        count = per_leaf + (1 if n < extra else 0)
        final = rng.choice([Decimal("0.35"), Decimal("0.6"), Decimal("0.85"), Decimal(1), Decimal("1.1")])
        moments = sorted(clock.stamp(rng, 730) for _ in range(count))
        for step, at in enumerate(moments, start=1):
            share = final * step / count
            if kind == "milestone":
                value = min(Decimal(1), share).quantize(Decimal("0.01"))
            else:
                value = Decimal(baseline) + (Decimal(target) - Decimal(baseline)) * share
                value = value.quantize(Decimal(1) if kind == "count" else Decimal("0.0001"))
            load.add(
                table,
                {
                    "id": ids.next("task_updates"),
                    "task_id": task_id,
                    "at": at,
                    "user_id": None if live else user_id,
                    "value": value,
                    "note": "Cập nhật tự động từ sổ đăng ký" if live else f"Báo cáo lần {step}",
                    "evidence_document_id": None,
                    "evidence_url": None,
                    **_rows(clock, at),
                },
            )


def _add_sites_and_checkins(load, ids, clock, rng, unit_id, unit_name, codes) -> None:
    kinds = [k for k, _p, _w in SITE_KINDS]
    prefixes = {k: p for k, p, _w in SITE_KINDS}
    weights = [w for _k, _p, w in SITE_KINDS]
    visited, popularity = [], []
    for n in range(SITES_PER_COMMUNE):
        kind = rng.choices(kinds, weights)[0]
        name = f"{prefixes[kind]} {person(rng) if kind in ('household_business', 'business') else unit_name} {n + 1}"
        retired = rng.random() < 0.02
        created = clock.stamp(rng, 700)
        printed = None
        if not retired and rng.random() < 0.75:
            printed = min(created + timedelta(days=rng.randrange(30)), clock.now)
        site_id = ids.next("sites")
        load.add(
            Site.__table__,
            {
                "id": site_id,
                "unit_id": unit_id,
                "name": name,
                "search_name": fold(name),
                "kind": kind,
                "address": f"Số {rng.randrange(1, 300)}, tổ dân phố {rng.randrange(1, 25)}, {unit_name}",
                "contact_name": person(rng),
                "contact_phone": f"09{rng.randrange(10**8):08d}",
                "status": "retired" if retired else "active",
                "code": site_code(rng, codes),
                "poster_printed_at": printed,
                **_versioned(clock, created),
            },
        )
        # One site in five has never been scanned; the others follow a long-tailed popularity.
        if not retired and rng.random() < 0.8:
            visited.append(site_id)
            popularity.append(rng.paretovariate(1.2))
    devices = [f"{rng.getrandbits(256):064x}" for _ in range(3_000)]
    table = CheckIn.__table__
    now, window = clock.now, 60 * 86_400
    randrange = rng.randrange
    for site_id in rng.choices(visited, popularity, k=CHECKINS_PER_COMMUNE):
        load.add(
            table,
            {
                "site_id": site_id,
                "at": now - timedelta(seconds=randrange(window)),
                "device_hash": devices[randrange(3_000)],
                "phone": None,
            },
        )


TABLES = [Unit, Document, User, Board, Membership, Program, Task, TaskUpdate, PublicService, Site, CheckIn]


def _fresh_database(url: str) -> None:
    """SQLite: remove the file. PostgreSQL: DROP … WITH (FORCE) and CREATE the database."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database)
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{parsed.database}"')
    admin.dispose()


def build(url: str, shape: Shape, log=print) -> dict:
    """Create the database at `url` from the migrations and fill it; returns timings, row counts and page ids."""
    from flask_migrate import upgrade

    started = time.perf_counter()
    _fresh_database(url)
    app = create_app(app_config(url))
    with app.app_context():
        upgrade()
        migrated = time.perf_counter()
        now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        clock = Clock(now=now, today=now.date())
        ids = Ids()
        pw = hash_password(PASSWORD)
        order = [m.__table__ for m in TABLES]
        targets = []
        codes: set[str] = set()
        with db.engine.begin() as conn:
            load = Loader(conn, order)
            province_id = ids.next("units")
            load.add(
                Unit.__table__,
                {
                    "id": province_id,
                    "code": "90",
                    "name": "Tỉnh Thái Nguyên (thử tải)",
                    "search_name": fold("Tỉnh Thái Nguyên (thử tải)"),
                    "kind": "province",
                    "parent_id": None,
                    "valid_from": date(2025, 7, 1),
                    **_versioned(clock),
                },
            )
            load.add(
                User.__table__,
                {
                    "id": ids.next("users"),
                    "username": VIEWER,
                    "full_name": "Người xem cấp tỉnh",
                    "password_hash": pw,
                    "role": "viewer",
                    "unit_id": province_id,
                    "is_active": True,
                    "session_token": f"bench-viewer-{secrets.token_hex(16)}",
                    **_versioned(clock),
                },
            )
            for index in range(shape.communes):
                targets.append(_add_commune(load, ids, clock, index, province_id, codes, pw))
                if (index + 1) % 10 == 0 or index + 1 == shape.communes:
                    log(f"  {shape.label}: {index + 1}/{shape.communes} communes generated")
            load.flush()
        _after_load(db.engine)
        counts = {}
        with db.engine.connect() as conn:
            for model in TABLES:
                counts[model.__tablename__] = conn.scalar(select(func.count()).select_from(model.__table__))
        db.engine.dispose()
    finished = time.perf_counter()
    first = targets[0]
    return {
        "seconds": round(finished - started, 1),
        "migrate_seconds": round(migrated - started, 1),
        "rows": counts,
        "commune_id": first["unit_id"],
        "program_id": first["program_id"],
        "task_id": first["task_id"],
    }


def _after_load(engine) -> None:
    """PostgreSQL: move the id sequences past the explicit ids, then VACUUM ANALYZE as autovacuum soon would
    (planner statistics, and a visibility map so index-only scans skip the heap)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for model in TABLES:
            table = model.__tablename__
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
