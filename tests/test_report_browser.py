"""The Snakemake report of the ci run, opened in a real browser: Debian's headless Chromium, driven by Selenium
through Debian's chromedriver (tools/install_chromium.sh installs both if missing).

How the report works (Snakemake 9.27, snakemake/report/html_reporter/): report.html is a single-page React app.
Every result is embedded as data: `var results` maps each path to its mime type, caption and a base64 `data_uri`;
`var categories` maps category -> subcategory -> paths. The navbar lists the categories; a category's table has an
eye button per result, and for an image (png/svg/jpeg) that button shows the `data_uri` as an <img> in the content
pane (PDFs are shown in an <iframe>, other files are downloads).

The test builds its own report.html from the finished ci run (`ci_run`) into pytest's tmp dir and then clicks
through the UI as a reader would: every category, every subcategory, every eye button of an image result. After
each click it waits for the content pane's <img> to carry that result's data URI, decodes it (img.decode() rejects a
broken image) and requires a positive natural and displayed size; every other <img> on the page (logo, captions) must
load too. Uncaught page errors, console.error calls, failed resource loads and SEVERE browser-log entries fail it,
and so does a result without a caption or with a broken one (docutils' rendered rst errors).

The count is checked twice. The app's own `results` (read in the page, not parsed from the HTML) gives the image
results, and the click-through must reach each of them. Independently, every figure rule registers its PNG with
report() and keeps its PDF as a plain output (the print copy), so the image results must be exactly the PNG files
under results/figures of the run: a figure missing from the report, or a report item without its file, fails.
A PDF registered as a report item fails too: Chromium shows it in an iframe this test cannot check.

Screenshots (landing page, every figure view, the first figure with its caption) are saved next to the report and copied
to /tmp/report_screenshots/. Skipped, with the reason, only when Chromium cannot be installed here (not root, no
apt); under CI (CI=true) that is a failure instead, so CI never passes without the browser check.
"""

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from conftest import REPO, snakemake

pytestmark = pytest.mark.workflow

INSTALL = REPO / "tools" / "install_chromium.sh"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = Path("/tmp/report_screenshots")
IMAGE_TYPES = ("image/png", "image/svg+xml", "image/jpeg")  # what the app shows as an <img> (AbstractViewManager)
TIMEOUT = 30  # seconds for any one UI step; each takes well under one

# Installed before the page's own scripts run: records what a reader would see as a broken page.
ERROR_HOOKS = """
window.__reportErrors = [];
window.addEventListener('error', function (event) {
    var target = event.target;
    window.__reportErrors.push(target && target !== window && target.tagName
        ? 'failed to load <' + target.tagName.toLowerCase() + '> ' + String(target.src || target.href).slice(0, 80)
        : 'uncaught error: ' + event.message);
}, true);
window.addEventListener('unhandledrejection', function (event) {
    window.__reportErrors.push('unhandled rejection: ' + event.reason);
});
var consoleError = console.error;
console.error = function () {
    window.__reportErrors.push('console.error: ' + Array.prototype.join.call(arguments, ' '));
    return consoleError.apply(console, arguments);
};
"""
# The navbar anchor with this exact text, outside the breadcrumbs (menu items, subcategory items).
FIND_NAV_LINK = """
return Array.from(document.querySelectorAll('nav a'))
    .find(a => !a.closest('ol') && a.textContent.trim() === arguments[0]) || null;
"""
# The eye buttons (first button of each row) of the result table; images' have href="#", downloads a data: URI.
FIND_VIEW_BUTTONS = """
return Array.from(document.querySelectorAll('nav table tbody tr'))
    .map(row => row.querySelector('a[type=button]'))
    .filter(a => a && a.getAttribute('href') === '#');
"""
SHOWN_IMAGE = """
var img = document.querySelector('#app > div > div.grow img');
return app.state.content === 'img' && img && img.getAttribute('src') === results[app.state.resultPath].data_uri
    ? app.state.resultPath : null;
"""
DECODE_IMAGES = """
var done = arguments[arguments.length - 1];
var imgs = Array.from(document.querySelectorAll('img'));
Promise.all(imgs.map(function (img) {
    var rect = img.getBoundingClientRect();
    var info = {src: String(img.getAttribute('src')).slice(0, 60), content: img.closest('nav') === null,
                width: img.naturalWidth, height: img.naturalHeight, shown: rect.width * rect.height};
    return img.decode().then(function () {
        info.width = img.naturalWidth; info.height = img.naturalHeight; return info;
    }, function (err) { info.error = String(err); return info; });
})).then(done);
"""


@pytest.fixture(scope="session")
def chromium() -> None:
    """Debian's chromium and chromedriver, installed by tools/install_chromium.sh if missing."""
    start = time.monotonic()
    proc = subprocess.run(["bash", str(INSTALL)], capture_output=True, text=True, timeout=900)
    if proc.returncode == 3 and not os.environ.get("CI"):
        pytest.skip(f"no Chromium on this machine: {proc.stderr.strip()}")
    assert proc.returncode == 0, f"install_chromium.sh failed (exit {proc.returncode}):\n{proc.stderr}"
    print(f"chromium ready in {time.monotonic() - start:.1f} s: {proc.stderr.strip()}")


@pytest.fixture
def report_html(chromium, ci_run, tmp_path) -> Path:
    start = time.monotonic()
    report = tmp_path / "report.html"
    snakemake(ci_run, "--configfile", "configs/ci.yaml", "--report", str(report))
    print(f"report built in {time.monotonic() - start:.1f} s: {report} ({report.stat().st_size / 1e6:.1f} MB)")
    return report


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1600,1300"):
        options.add_argument(arg)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: Selenium Manager (which would download drivers and browsers) never runs.
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_script_timeout(TIMEOUT)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": ERROR_HOOKS})
    yield driver
    driver.quit()


def _page_errors(driver) -> list[str]:
    errors = list(driver.execute_script("return window.__reportErrors || ['error hooks missing'];"))
    errors += [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    return errors


def _click(element, timeout: float = 10.0) -> None:
    """A real click, as a user's; retried while the navbar's CSS transition still lays another element over the
    target (ElementClickInterceptedException), which settles within a fraction of a second."""
    from selenium.common.exceptions import ElementClickInterceptedException

    deadline = time.monotonic() + timeout
    while True:
        try:
            element.click()
            return
        except ElementClickInterceptedException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _click_nav_link(driver, label: str) -> None:
    link = driver.execute_script(FIND_NAV_LINK, label)
    assert link is not None, f"no navbar link {label!r} in the report"
    _click(link)


def _open_subcategory(driver, wait, categories: dict, category: str, subcategory: str) -> None:
    """From anywhere: home (the first breadcrumb), the category, and its subcategory if it has several."""
    _click(driver.find_element("css selector", "nav ol li a"))
    _click_nav_link(driver, "Results" if len(categories) == 1 else category)
    if len(categories[category]) > 1:
        _click_nav_link(driver, subcategory)
    wait.until(lambda d: d.find_elements("css selector", "nav table tbody tr"))


def _check_images_load(driver, where: str) -> int:
    """Every <img> on the page decodes and has a size; returns the content pane's shown area (px²)."""
    images = driver.execute_async_script(DECODE_IMAGES)
    broken = [img for img in images if img.get("error") or not (img["width"] > 0 and img["height"] > 0)]
    assert not broken, f"{where}: broken images {broken}"
    return sum(img["shown"] for img in images if img["content"])


def test_every_report_figure_loads_in_chromium(report_html, browser, ci_run):
    from selenium.webdriver.support.ui import WebDriverWait

    start = time.monotonic()
    shots = report_html.parent / "screenshots"
    shots.mkdir()
    wait = WebDriverWait(browser, TIMEOUT)
    browser.get(report_html.as_uri())
    wait.until(lambda d: d.execute_script("return typeof app === 'object' && document.querySelector('nav a') !== null"))
    _check_images_load(browser, "landing page")
    browser.save_screenshot(str(shots / "00_landing.png"))

    entries = browser.execute_script(
        "return Object.fromEntries(Object.entries(results).map(([path, r]) => [path, [r.mime_type, r.caption]]));"
    )
    categories = browser.execute_script("return categories;")
    image_results = {path for path, (mime, _) in entries.items() if mime in IMAGE_TYPES}
    pdf_results = sorted(path for path, (mime, _) in entries.items() if mime == "application/pdf")
    # A caption is shown next to its figure: it must be there, and free of docutils' rendered rst errors.
    bad_captions = sorted(p for p, (_, caption) in entries.items() if not caption or "system-message" in caption)
    assert not bad_captions, f"missing or broken captions: {bad_captions}"
    assert not pdf_results, f"PDFs registered as report items (register the PNG, keep the PDF plain): {pdf_results}"
    figure_pngs = {str(p.relative_to(ci_run)) for p in (ci_run / "results" / "figures").rglob("*.png")}
    assert image_results == figure_pngs, (
        f"image results of the report != PNGs under results/figures: only in the report "
        f"{sorted(image_results - figure_pngs)}, only on disk {sorted(figure_pngs - image_results)}"
    )
    assert all(any(paths for paths in subcats.values()) for subcats in categories.values()), categories

    shown: dict[str, int] = {}
    for category, subcategories in categories.items():
        for subcategory in subcategories:
            _open_subcategory(browser, wait, categories, category, subcategory)
            for index in range(len(browser.execute_script(FIND_VIEW_BUTTONS))):
                button = browser.execute_script(FIND_VIEW_BUTTONS)[index]
                before = browser.execute_script(SHOWN_IMAGE)
                _click(button)
                path = wait.until(lambda d, before=before: (now := d.execute_script(SHOWN_IMAGE)) != before and now)
                where = f"{category} / {subcategory} / {path}"
                assert path not in shown, f"{where}: shown twice"
                shown[path] = _check_images_load(browser, where)
                assert shown[path] > 0, f"{where}: the figure takes no space on the page"
                browser.save_screenshot(str(shots / f"{len(shown):02d}_{Path(path).stem}.png"))
                if len(shown) == 1:
                    # The first figure once more with its caption: the row's info button (next to the eye).
                    _click(button.find_element("xpath", "following-sibling::a[@type='button']"))
                    wait.until(lambda d: d.execute_script("return app.state.navbarMode === 'resultinfo';"))
                    assert browser.execute_script(SHOWN_IMAGE) == path
                    _check_images_load(browser, f"{where} with its caption")
                    browser.save_screenshot(str(shots / f"{len(shown):02d}_{Path(path).stem}_caption.png"))
                    _open_subcategory(browser, wait, categories, category, subcategory)
    assert set(shown) == image_results, f"image results the UI never showed: {sorted(image_results - set(shown))}"

    errors = _page_errors(browser)
    assert not errors, f"errors in the report page: {errors}"
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    shutil.copytree(shots, SCREENSHOTS)
    print(f"{len(shown)} figures checked in {time.monotonic() - start:.1f} s; screenshots in {shots} and {SCREENSHOTS}")
