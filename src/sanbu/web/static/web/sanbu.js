/* Sanbu pages: small progressive enhancements on top of htmx (no framework, no CDN). */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  // Selects marked .autosubmit submit their form on change (language switch).
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el && el.classList && el.classList.contains("autosubmit") && el.form) el.form.submit();
  });

  // Dynamic item table: add a row from the formset's empty form, remove a row.
  document.addEventListener("click", function (ev) {
    var add = ev.target.closest ? ev.target.closest("[data-add-row]") : null;
    if (add) {
      ev.preventDefault();
      var prefix = add.getAttribute("data-add-row");
      var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
      var tpl = document.getElementById(prefix + "-empty");
      var body = document.getElementById(prefix + "-rows");
      if (!total || !tpl || !body) return;
      var index = parseInt(total.value, 10);
      var html = tpl.innerHTML.replace(/__prefix__/g, String(index)).replace(/__num__/g, String(index + 1));
      body.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var first = body.lastElementChild && body.lastElementChild.querySelector("input[type=text]");
      if (first) first.focus();
      return;
    }
    var del = ev.target.closest ? ev.target.closest("[data-remove-row]") : null;
    if (del) {
      ev.preventDefault();
      var row = del.closest("tr");
      if (!row) return;
      var box = row.querySelector("input[type=checkbox][name$='-DELETE']");
      if (box) {
        box.checked = !box.checked;
        row.classList.toggle("row-deleted", box.checked);
        row.style.opacity = box.checked ? "0.45" : "";
      }
    }
  });

  // Upload progress for htmx forms that contain a .progress bar.
  document.addEventListener("htmx:xhr:progress", function (ev) {
    var form = ev.target;
    var bar = form && form.querySelector ? form.querySelector(".progress > span") : null;
    var label = form && form.querySelector ? form.querySelector("[data-progress-label]") : null;
    if (!bar || !ev.detail || !ev.detail.lengthComputable) return;
    var pct = Math.round((ev.detail.loaded / ev.detail.total) * 100);
    bar.style.width = pct + "%";
    if (label) label.textContent = pct < 100 ? "正在上传 " + pct + "%…" : "上传完成，正在校验并导入…";
  });
  document.addEventListener("htmx:beforeRequest", function (ev) {
    var form = ev.target;
    var bar = form && form.querySelector ? form.querySelector(".progress > span") : null;
    if (bar) bar.style.width = "0";
  });

  ready(function () {
    var first = document.querySelector("[autofocus]");
    if (first && first.focus) first.focus();
  });
})();

/* Copy a new key to the clipboard (the input stays selected, so Ctrl+C works as well). */
document.addEventListener("click", function (ev) {
  var button = ev.target.closest ? ev.target.closest("[data-copy]") : null;
  if (!button) return;
  var field = document.querySelector(button.getAttribute("data-copy"));
  if (!field) return;
  field.focus();
  field.select();
  var done = function () { button.textContent = "已复制"; };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(done, function () { if (document.execCommand("copy")) done(); });
  } else if (document.execCommand("copy")) {
    done();
  }
});
