"""The demo portal's page: an agency home page with the suggestions widget embedded."""

from __future__ import annotations

import html
from string import Template

from recsys.settings import LANGUAGES

#: How the language selector names each language.
_LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}


def render(
    *,
    api: str,
    nip: str,
    lang: str,
    nips: list[str],
    token: str | None,
    problem: str | None,
    nonce: str,
) -> str:
    """The portal page: the employee selector, the language choice and the widget (or
    why there is none)."""
    esc = html.escape
    choices = nips if nip in nips or not nip else [*nips, nip]
    if choices:
        options = "".join(
            f'<option value="{esc(n)}"{" selected" if n == nip else ""}>'
            f"Pegawai demo {i} — NIP {esc(n)}</option>"
            for i, n in enumerate(choices, start=1)
        )
        who = f'<select id="nip" name="nip">{options}</select>'
    else:
        who = (
            f'<input id="nip" name="nip" value="{esc(nip)}" inputmode="numeric" '
            'autocomplete="off" pattern="[0-9]{18}" required>'
        )
    langs = "".join(
        f'<option value="{code}"{" selected" if code == lang else ""}>{label}</option>'
        for code, label in ((c, _LANGUAGE_NAMES.get(c, c)) for c in LANGUAGES)
    )
    if token is not None:
        widget = f'<asn-suggestions token="{esc(token)}" lang="{esc(lang)}"></asn-suggestions>'
    else:
        widget = f'<p class="problem" role="alert">{esc(problem or "")}</p>'
    return _PAGE.substitute(
        nonce=esc(nonce),
        script=esc(f"{api}/widget.js"),
        api=esc(api),
        nip=esc(nip or "—"),
        who=who,
        langs=langs,
        widget=widget,
    )


_PAGE = Template("""<!doctype html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Portal Kepegawaian — Demo</title>
<link rel="icon" href="data:,">
<script src="$script" defer></script>
<style nonce="$nonce">
  * { box-sizing: border-box; }
  body { margin: 0; font: 1rem/1.5 system-ui, "Segoe UI", Roboto, "Noto Sans", sans-serif;
         color: #1f2933; background: #eef2f6; }
  header { background: #0b4a85; color: #fff; padding: 1rem clamp(1rem, 4vw, 2rem); }
  header p { margin: 0; font-size: .875rem; color: #dbe7f3; }
  h1 { margin: 0; font-size: 1.375rem; }
  main { max-width: 64rem; margin: 0 auto; padding: 1rem clamp(.75rem, 3vw, 2rem) 2rem;
         display: grid; gap: 1rem; }
  .card { background: #fff; border: 1px solid #c3cfdb; border-radius: 12px; padding: 1rem; }
  .card h2 { margin: 0 0 .5rem; font-size: 1.125rem; }
  form { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: end; }
  label { display: grid; gap: .25rem; flex: 1 1 12rem; min-width: 0; font-size: .875rem;
          font-weight: 600; }
  select, input, button { font: inherit; min-height: 2.75rem; }
  select, input { width: 100%; }
  select, input { padding: .375rem .5rem; border: 1px solid #52606d; border-radius: 8px; }
  button { padding: .375rem 1rem; border: 0; border-radius: 8px; background: #0b4a85;
           color: #fff; font-weight: 600; cursor: pointer; }
  :focus-visible { outline: 3px solid #0b4a85; outline-offset: 2px; }
  .problem { margin: 0; padding: .75rem 1rem; border: 1px solid #e7b4b4; border-radius: 8px;
             background: #fdf2f2; color: #8a1c1c; overflow-wrap: anywhere; }
  footer { text-align: center; font-size: .8125rem; color: #3e4c59; padding: 0 1rem 2rem;
           overflow-wrap: anywhere; }
</style>
</head>
<body>
<header>
  <p>Pemerintah Provinsi Contoh · Badan Kepegawaian dan Pengembangan SDM</p>
  <h1>Portal Kepegawaian — Demo</h1>
</header>
<main>
  <section class="card" aria-labelledby="profil">
    <h2 id="profil">Selamat datang</h2>
    <p>Anda masuk sebagai pegawai dengan NIP <strong>$nip</strong>.</p>
    <form method="get" action="/">
      <label for="nip">Pegawai demo $who</label>
      <label for="lang">Bahasa widget <select id="lang" name="lang">$langs</select></label>
      <button type="submit">Tampilkan</button>
    </form>
  </section>
  $widget
</main>
<footer>Halaman demo untuk widget saran ASN Recsys, bukan sistem resmi.
Widget dimuat dari $api.</footer>
</body>
</html>
""")
