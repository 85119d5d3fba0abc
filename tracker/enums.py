"""Choice columns: a StrEnum per vocabulary, each member carrying its Vietnamese label."""

from enum import StrEnum

from sqlalchemy import Enum as SAEnum


class LabelledEnum(StrEnum):
    """A StrEnum whose members have a translated `label`, given once with `with_labels`."""

    @property
    def label(self) -> str:
        return str(type(self)._labels[self.value])

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]

    @classmethod
    def with_labels(cls, **labels):
        missing = {m.value for m in cls} - set(labels)
        if missing:
            raise ValueError(f"{cls.__name__}: no label for {sorted(missing)}")
        type.__setattr__(cls, "_labels", labels)
        return cls


def enum_column(enum_cls: type[StrEnum]) -> SAEnum:
    """A VARCHAR with a CHECK constraint: same values on SQLite and PostgreSQL, no native enum type."""
    return SAEnum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        name=enum_cls.__name__.lower(),
        validate_strings=True,
    )
