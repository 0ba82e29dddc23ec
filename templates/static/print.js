// The print view's button: shown only where script runs, since Ctrl+P prints the same without it.
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}

// GB/T 9704 puts the 版记 at the foot of the last page. Chromium has no page floats, so the room
// under it is measured: a copy of the edition is laid out as pages (print.css, .print-paging), and
// the space between the 版记 and the foot of its page becomes --print-foot, the padding above
// it in print. A 版记 that does not fit under the text goes to the next page in the copy as on
// paper (break-inside: avoid), and is pushed to that page's foot.
const edition = document.querySelector(".print-edition");
const foot = edition?.querySelector(".print-distribution");
// A millimetre (in CSS pixels) short of the foot: a 版记 a fraction of a pixel too tall would go
// to a page of its own.
const SLACK = 96 / 25.4;

function fitFoot() {
  const copy = edition.cloneNode(true);
  copy.classList.add("print-paging");
  // Without the padding of the last measurement, which applies here too in print media.
  copy.querySelector(".print-distribution").style.removeProperty("--print-foot");
  edition.after(copy);
  const page = copy.getBoundingClientRect();  // one column: one page's text block
  const box = copy.querySelector(".print-distribution").getBoundingClientRect();
  copy.remove();
  // Taller than a page, the 版记 is split anyway: it follows the text.
  const room = box.height > page.height ? 0 : Math.max(page.top + page.height - box.bottom - SLACK, 0);
  foot.style.setProperty("--print-foot", `${room}px`);
}

if (foot) {
  // Once the page is laid out with its images; and again when printing starts, since the page may
  // have changed in between.
  addEventListener("load", fitFoot);
  addEventListener("beforeprint", fitFoot);
}
