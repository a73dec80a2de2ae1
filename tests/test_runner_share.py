"""Sharing the published reports: a set of plain files that survives a copy without links, a zip and a plain
HTTP server, opened in a real browser (every link resolves, every chart shows, nothing from the network)."""

from __future__ import annotations

import functools
import http.server
import json
import subprocess
import threading
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest

from qindex import cli, paths
from qindex.errors import ShareError
from qindex.runner import load_specs, run
from qindex.runner.share import share
from tests.browser import Browser
from tests.helpers import notebook, write_params

#: A report with one chart, and the summary the gallery shows.
CHART = notebook(
    'output_dir: str = ""  # set by the runner\nlabel: str = "a"  # which report',
    (
        "import matplotlib.pyplot as plt\n"
        "from IPython.display import display\n"
        "from qindex.reports.text import save_summary\n"
        "fig, ax = plt.subplots(figsize=(4, 3))\n"
        "ax.plot([2020, 2021, 2022], [1, 3, 2])\n"
        "ax.set_xlabel('year')\n"
        "display(fig)\n"
        "plt.close(fig)\n"
        "save_summary({'title': f'示例报告 {label}', 'place': '示例区', 'period': '2020–2022年',"
        " 'data_to': 2022, 'statuses': {}}, output_dir)"
    ),
)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """Two published reports in a sandbox, the first run twice (so it has one earlier version)."""
    root = tmp_path_factory.mktemp("share")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paths, "REPORTS", root / "reports")
        mp.setattr(paths, "DATA_PROCESSED", root / "processed")
        mp.setattr(paths, "NOTEBOOKS", root / "notebooks")
        (root / "notebooks").mkdir()
        (root / "notebooks" / "chart.ipynb").write_text(json.dumps(CHART), encoding="utf-8")
        files = {
            label: write_params(
                root,
                f"notebook: chart.ipynb\ntitle: 示例 {label}\nparameters:\n  label: {label}\n",
                name=f"chart-{label}.yaml",
            )
            for label in ("a", "b")
        }
        for label in ("a", "b", "a"):
            run(load_specs(files[label])[0], progress_bar=False)
        yield root, files


def _plain(folder: Path) -> list[str]:
    """What a copy or a zip could lose: links, dot-names, names that are not ASCII."""
    bad = []
    for p in folder.rglob("*"):
        rel = p.relative_to(folder)
        if (
            p.is_symlink()
            or any(part.startswith(".") for part in rel.parts)
            or not str(rel).isascii()
        ):
            bad.append(str(rel))
    return bad


def _read_in_browser(browser: Browser, gallery: str, exists) -> dict:
    """Open the gallery and every page it links to: which links fail, which charts do not show."""
    browser.open(gallery)
    links = browser.links()
    seen = {"links": len(links), "broken": [], "charts": 0, "blank": []}
    for url in links:
        if not exists(url):
            seen["broken"].append(url)
            continue
        browser.open(url)
        for image in browser.images():
            seen["charts"] += 1
            if not (image["complete"] and image["width"] > 0):
                seen["blank"].append((url, image["src"]))
    return seen


def test_a_zip_unpacked_elsewhere_opens_with_every_link_and_every_chart(published, tmp_path):
    root, _ = published
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paths, "REPORTS", root / "reports")
        shared = share(zip_file=tmp_path / "报告.zip")
    with zipfile.ZipFile(shared.where) as z:
        names = z.namelist()
        assert all(n.startswith("报告/") for n in names)
        assert all(
            i.flag_bits & 0x800 for i in z.infolist()
        )  # UTF-8 names: Chinese Windows reads them
        z.extractall(tmp_path / "unzipped")
    folder = tmp_path / "unzipped" / "报告"
    assert _plain(folder) == []
    assert (folder / "chart-a" / "chart-a.html").is_file()
    assert len(list((folder / "chart-a" / "history").iterdir())) == 1  # the earlier version
    assert not list(folder.rglob("*.ipynb")) and not list(folder.rglob("*.csv"))  # not asked for

    def exists(url: str) -> bool:
        # inside the unpacked set: a link back into reports/ counts as broken
        target = Path(urllib.parse.unquote(urllib.parse.urlparse(url).path))
        return target.is_relative_to(folder) and target.is_file()

    with Browser() as browser:
        seen = _read_in_browser(browser, (folder / "index.html").as_uri(), exists)
        # two current reports and one earlier version, each with its chart
        assert seen == {"links": 3, "broken": [], "charts": 3, "blank": []}
        assert all(u.startswith(("file://", "data:")) for u in browser.requests)


def test_a_copy_without_links_served_over_http_shows_the_same_set(published, tmp_path):
    root, _ = published
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paths, "REPORTS", root / "reports")
        share(to=tmp_path / "set")
    # a copy as Windows shares and most tools make it: links followed, no -a, no -P
    subprocess.run(["cp", "-r", str(tmp_path / "set"), str(tmp_path / "copy")], check=True)
    assert _plain(tmp_path / "copy") == []

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(tmp_path / "copy"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    def exists(url: str) -> bool:
        if not url.startswith(f"{base}/"):
            return False
        try:
            with urllib.request.urlopen(url, timeout=30) as r:
                return r.status == 200
        except OSError:
            return False

    try:
        with Browser() as browser:
            seen = _read_in_browser(browser, f"{base}/index.html", exists)
            assert seen == {"links": 3, "broken": [], "charts": 3, "blank": []}
            assert all(u.startswith((base, "data:")) for u in browser.requests)
    finally:
        server.shutdown()
        server.server_close()


def test_latest_only_with_data_and_notebooks(published, tmp_path):
    root, _ = published
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paths, "REPORTS", root / "reports")
        shared = share(to=tmp_path / "set", latest_only=True, with_data=True, with_notebooks=True)
    folder = tmp_path / "set"
    assert (shared.reports, shared.versions) == (2, 2)
    assert not list(folder.rglob("history"))
    assert sorted(p.name for p in (folder / "chart-a").iterdir()) == [
        "chart-a.html",
        "chart-a.ipynb",
        "data",
    ]
    assert (folder / "chart-a" / "data" / "run.json").is_file()
    assert "历史版本" in (folder / "index.html").read_text(encoding="utf-8")  # the column, empty
    assert "只含各报告的最新版本" in (folder / "index.html").read_text(encoding="utf-8")


def test_a_folder_share_did_not_write_is_refused_and_left_alone(published, tmp_path):
    root, _ = published
    (tmp_path / "office-share").mkdir()
    (tmp_path / "office-share" / "工作计划.docx").write_text("not ours", encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paths, "REPORTS", root / "reports")
        with pytest.raises(ShareError, match="did not write"):
            share(to=tmp_path / "office-share")
        share(to=tmp_path / "ours")
        (tmp_path / "ours" / "stale.html").write_text("from an older share", encoding="utf-8")
        share(to=tmp_path / "ours")  # a set share wrote is replaced whole
    assert (tmp_path / "office-share" / "工作计划.docx").read_text(encoding="utf-8") == "not ours"
    assert not (tmp_path / "ours" / "stale.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["office-share", "ours"]  # no leftovers


def test_a_scheduled_run_can_end_with_the_shared_set(published, tmp_path, capsys):
    root, files = published
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paths, "REPORTS", root / "reports")
        mp.setattr(paths, "DATA_PROCESSED", root / "processed")
        mp.setattr(paths, "NOTEBOOKS", root / "notebooks")
        code = cli.main(
            ["run", str(files["b"]), "--no-progress", "--share", str(tmp_path / "shared")]
        )
        assert code == 0
        assert cli.main(["share", "--zip", str(tmp_path / "r.zip"), "--latest-only"]) == 0
    out = capsys.readouterr().out
    assert "shared 2 report(s), 4 version(s)" in out
    assert (tmp_path / "shared" / "chart-b" / "history").is_dir()  # b now has an earlier version
    assert zipfile.ZipFile(tmp_path / "r.zip").namelist()[0].startswith("r/")
