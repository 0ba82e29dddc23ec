// The print view's button: shown only where script runs, since Ctrl+P prints the same without it.
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
