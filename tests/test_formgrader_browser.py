"""The manual grading round trip in a real browser: JupyterLab on the graded demo course, nbgrader's
formgrader, one written answer graded by hand and saved, and `export` and `feedback` show the score.

Needs Debian's `chromium` and `chromium-driver` (.ci/run installs them) and selenium. Without them the
test is skipped on a developer's machine and fails in CI (CI set), so it cannot pass by not running."""
import csv
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from autograder.demo import samples
from autograder.grading.batch import grade
from autograder.lms.collect import collect
from autograder.review.export import export
from autograder.review.feedback import feedback

pytestmark = pytest.mark.slow
A1 = samples.A1
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def browser():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        selenium_missing = True
    else:
        selenium_missing = False
    if selenium_missing or not CHROMIUM or not DRIVER:
        if os.environ.get("CI"):
            pytest.fail("the browser test needs selenium (requirements-instructor.txt) and Debian's chromium and "
                        "chromium-driver (apt-get install -y chromium chromium-driver)")
        pytest.skip("no selenium or chromium here: apt-get install -y chromium chromium-driver")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    """A course of three sample submissions, collected and autograded once for the module: each test grades by hand
    in a copy of its own (`lab`). Made when a test first asks for it, so a test skipped for want of a browser
    (`browser` comes first) grades nothing."""
    made = []

    def course() -> Path:
        if not made:
            tmp = tmp_path_factory.mktemp("formgrader")
            root = tmp / "course"
            samples.build(tmp / "dl", root)
            keep = {f for s in ("complete", "partial", "untouched") for f in (tmp / "dl").glob(f"{s}_*")}
            for f in (tmp / "dl").glob("*.ipynb"):
                if f not in keep:
                    f.unlink()
            collect(tmp / "dl", root, roster=tmp / "dl" / "roster.csv")
            from autograder.grading.limits import Limits
            grade(root, A1, workers=2, limits=Limits(cell_timeout=20, notebook_timeout=120, mem_mb=6144),
                  progress_bar=False)
            made.append(root)
        return made[0]
    return course


@pytest.fixture
def lab(graded_course, tmp_path):
    """JupyterLab with nbgrader's extensions, serving a graded course of three sample submissions (a fresh copy)."""
    root = tmp_path / "course"
    shutil.copytree(graded_course(), root)
    port, token = _free_port(), "course-test-token"
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "jcfg"), JUPYTER_DATA_DIR=str(tmp_path / "jdata"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "jrt"), IPYTHONDIR=str(tmp_path / "ipy"), HOME=str(tmp_path),
               PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.Popen([sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
                             f"--IdentityProvider.token={token}", "--ServerApp.ip=127.0.0.1",
                             f"--ServerApp.root_dir={root}", "--allow-root"], cwd=root, env=env,
                            stdout=subprocess.DEVNULL, stderr=open(tmp_path / "lab.log", "w"))
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail(f"JupyterLab did not start:\n{(tmp_path / 'lab.log').read_text()[-3000:]}")
    yield {"root": root, "url": url, "token": token}
    proc.terminate()
    proc.wait(timeout=30)


def test_a_written_answer_graded_in_formgrader_reaches_export_and_feedback(browser, lab):
    from nbgrader.api import Gradebook
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait
    wait = WebDriverWait(browser, 60)
    browser.get(f"{lab['url']}/lab?token={lab['token']}")                 # JupyterLab opens
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#jp-main-dock-panel")))
    browser.get(f"{lab['url']}/formgrader/gradebook/{A1}/{A1}")          # formgrader: the notebook's submissions
    wait.until(ec.presence_of_element_located((By.LINK_TEXT, "Submission #1")))
    with Gradebook(f"sqlite:///{lab['root'] / 'gradebook.db'}") as gb:
        ids = {s: gb.find_submission_notebook(A1, A1, s).id for s in ("complete", "partial", "untouched")}
    for student, sid in ids.items():   # formgrader opens every written answer of every submission, rubric beside it
        browser.get(f"{lab['url']}/formgrader/submissions/{sid}/")
        wait.until(ec.presence_of_element_located((By.ID, "a1_q3")))
        for gid in ("a1_report", "a1_q1", "a1_q2", "a1_q3"):
            assert browser.find_element(By.ID, gid).is_displayed(), (student, gid)
            assert f"Rubric (instructors only): {gid}" in browser.page_source, (student, gid)
    submission_id = ids["partial"]
    browser.get(f"{lab['url']}/formgrader/submissions/{submission_id}/")  # its manual grading view
    box = wait.until(ec.element_to_be_clickable((By.ID, "a1_q1")))
    page = browser.page_source
    assert "Rubric (instructors only): a1_q1" in page and "autograder: 0 / 3 points" in page
    box.clear()
    box.send_keys("1.5", Keys.TAB)
    comment = browser.find_element(By.ID, "a1_q1-comment")
    comment.send_keys("Two reasons; name a method.", Keys.TAB)
    deadline = time.time() + 30
    while time.time() < deadline:   # formgrader saves through its REST API when the field changes
        with Gradebook(f"sqlite:///{lab['root'] / 'gradebook.db'}") as gb:
            if gb.find_grade("a1_q1", A1, A1, "partial").manual_score == 1.5:
                break
        time.sleep(0.5)
    browser.execute_script("document.getElementById('a1_q1').scrollIntoView({block: 'center'})")
    shot = lab["root"].parent / "formgrader-manual-grading.png"
    browser.save_screenshot(str(shot))
    if os.environ.get("COURSE_SCREENSHOT"):   # docs/formgrader-manual-grading.png is made this way
        shutil.copy(shot, os.environ["COURSE_SCREENSHOT"])
    rows = {r["student"]: r for r in csv.DictReader(open(export(lab["root"], A1)["grades"]))}
    assert rows["partial"]["a1_q1"] == "1.5" and float(rows["partial"]["total"]) == 5 + 1.5
    feedback(lab["root"], A1)
    page = (lab["root"] / "feedback" / A1 / "partial.html").read_text()
    assert "1.5 / 2" in page and "Two reasons; name a method." in page


def test_grading_one_question_for_everyone_on_one_page(browser, lab):
    import threading

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from autograder.review.by_question import QuestionGrader, make_server
    from autograder.review.gradebook import read, set_manual
    set_manual(lab["root"], A1, "untouched", "a1_q2", 1.5)   # a score typed in formgrader first
    grader = QuestionGrader(lab["root"], A1, "a1_q2")
    server = make_server(grader)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    wait = WebDriverWait(browser, 30)
    try:
        browser.get(server.url)   # the printed address, with its token
        wait.until(ec.text_to_be_present_in_element((By.ID, "score-untouched"), "1.5 / 2"))
        assert "set in formgrader" in browser.find_element(By.ID, "note-untouched").text
        for student in ("complete", "partial"):   # one rubric item to each of two answers
            wait.until(ec.element_to_be_clickable((By.ID, f"item-{student}-0"))).click()
            wait.until(ec.text_to_be_present_in_element((By.ID, f"score-{student}"), "1 / 2"))
        points = browser.find_element(By.ID, "points-0")   # the item is worth 0.5 now: both answers re-scored
        points.clear()
        points.send_keys("0.5\n")
        browser.execute_script("document.getElementById('points-0').dispatchEvent(new Event('change'))")
        wait.until(ec.text_to_be_present_in_element((By.ID, "score-partial"), "0.5 / 2"))
        if os.environ.get("COURSE_SCREENSHOT_BY_QUESTION"):
            browser.save_screenshot(os.environ["COURSE_SCREENSHOT_BY_QUESTION"])
        browser.find_element(By.ID, "item-untouched-1").click()
        wait.until(ec.alert_is_present()).dismiss()     # a click on formgrader's score asks first: no
        assert browser.find_element(By.ID, "score-untouched").text == "1.5 / 2"
        browser.find_element(By.ID, "item-untouched-1").click()
        wait.until(ec.alert_is_present()).accept()      # yes: the score of the rubric's items replaces it
        wait.until(ec.text_to_be_present_in_element((By.ID, "score-untouched"), "1 / 2"))
        assert not browser.find_elements(By.ID, "note-untouched")
    finally:
        server.shutdown()
    grades = {s.student: s.cells["a1_q2"].score for s in read(lab["root"], A1)}
    assert grades == {"complete": 0.5, "partial": 0.5, "untouched": 1}
