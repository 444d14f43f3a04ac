// Asset form: choosing the client narrows the site and user lists to that client's (the other fields keep what is typed).
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-narrow-by-client]");
  const client = form && form.elements.client;
  if (!client) return;
  client.addEventListener("change", () => {
    const url = new URL(location.href);
    url.searchParams.set("client", client.value);
    fetch(url, { credentials: "same-origin" })
      .then((response) => response.text())
      .then((html) => {
        const page = new DOMParser().parseFromString(html, "text/html");
        for (const name of ["site", "user_contact"]) {
          const fresh = page.querySelector(`[name="${name}"]`);
          const current = form.elements[name];
          if (fresh && current) current.innerHTML = fresh.innerHTML;
        }
      });
  });
});
