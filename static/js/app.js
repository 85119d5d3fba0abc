// Progressive enhancement only: every page works without this file. No inline script anywhere: the
// Content-Security-Policy (tracker/security.py) allows scripts from our own files only.
document.addEventListener("DOMContentLoaded", () => {
  // Filters fold into <details class="filter-fold"> on phones only: a wider screen shows them open.
  if (window.matchMedia("(min-width: 48rem)").matches) {
    document.querySelectorAll("details.filter-fold").forEach((fold) => { fold.open = true; });
  }
  // Ask before destructive actions marked with data-confirm.
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  // A form marked data-submit-once (the public check-in) cannot be sent twice by a double tap.
  document.querySelectorAll("form[data-submit-once]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (event.defaultPrevented) return;
      form.querySelectorAll("button[type=submit], button:not([type])").forEach((button) => {
        button.disabled = true;
      });
    });
  });
});

// Unit fields (data-unit-suggest="<url>") suggest units by name as one types: "bai bong" offers
// "Phường Bãi Bông, … (code)". The server reads whatever is typed, so the field works without this.
function suggestUnits(input) {
  const list = document.createElement("datalist");
  list.id = `${input.id || input.name}-suggestions`;
  input.after(list);
  input.setAttribute("list", list.id);
  let timer = null;
  let pending = null;
  input.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(async () => {
      const query = input.value.trim();
      if (query.length < 2 || [...list.options].some((option) => option.value === input.value)) return;
      if (pending) pending.abort();
      pending = new AbortController();
      try {
        const url = `${input.dataset.unitSuggest}?q=${encodeURIComponent(query)}`;
        const response = await fetch(url, { signal: pending.signal, headers: { Accept: "application/json" } });
        if (!response.ok) return;
        const { items } = await response.json();
        list.replaceChildren(
          ...items.map((item) => Object.assign(document.createElement("option"), { value: item.value, label: item.label })),
        );
      } catch (error) {
        if (error.name !== "AbortError") throw error;
      }
    }, 200);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("input[data-unit-suggest]").forEach(suggestUnits);
});
