// shanwang's own script, and the only one: the pages work without it. The Content-Security-
// Policy allows no inline script, so behaviour is attached here.
document.addEventListener('click', (e) => {
  const print = e.target.closest('[data-print]');
  if (print) window.print();
});
