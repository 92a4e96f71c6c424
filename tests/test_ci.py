""".ci/run leaves nothing behind in the temporary folder: passed, failed or interrupted.

The script runs for real, with a stand-in ``python3`` first on the PATH whose ``-m venv``
makes a virtual environment whose ``python`` only logs its arguments (pytest's outcome is
chosen by the test).
The browser that tests/test_serve_page.py needs is installed by apt-get where ``chromium`` or
``chromedriver`` is missing: a stand-in ``apt-get`` logs its arguments; the other tests put
stand-ins for the browser on the PATH, so that nothing is installed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

import pytest

from conftest import ROOT

FAKE_PYTHON3 = r"""#!/bin/sh
[ "$1 $2" = "-m venv" ] || exit 90
mkdir -p "$3/bin"
printf 'PATH="%s/bin:$PATH"; export PATH\n' "$3" > "$3/bin/activate"
cat > "$3/bin/python" <<'EOS'
#!/bin/sh
echo "$*" >> "$FAKE_LOG"
case "$*" in *pytest*)
  touch "$FAKE_LOG.testing"; sleep "$FAKE_SLEEP"; exit "$FAKE_RC";;
esac
EOS
chmod +x "$3/bin/python"
"""


FAKE_APT_GET = """#!/bin/sh
echo "$*" >> "$FAKE_LOG.apt"
exit "$FAKE_APT_RC"
"""
# What .ci/run and the stand-ins run, for a PATH without /usr/bin (where a real chromium may be).
TOOLS = ("bash", "dirname", "mktemp", "rm", "mkdir", "cat", "chmod", "touch", "sleep")


def executable(path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o755)


def start_ci(tmp_path, rc: int, sleep: int = 0, browser: bool = True, apt_rc: int = 0) -> tuple[subprocess.Popen, dict]:
    """Run .ci/run with the stand-in python3 and apt-get; ``browser``: stand-ins for chromium and
    chromedriver on the PATH (else the PATH holds only the tools .ci/run needs)."""
    bin_dir, tmp = tmp_path / "bin", tmp_path / "tmp"
    bin_dir.mkdir()
    tmp.mkdir()
    executable(bin_dir / "python3", FAKE_PYTHON3)
    executable(bin_dir / "apt-get", FAKE_APT_GET)
    if browser:
        for name in ("chromium", "chromedriver"):
            executable(bin_dir / name, "#!/bin/sh\nexit 0\n")
        path = f"{bin_dir}:/usr/bin:/bin"
    else:
        for tool in TOOLS:
            (bin_dir / tool).symlink_to(shutil.which(tool))
        path = str(bin_dir)
    env = {
        "PATH": path, "TMPDIR": str(tmp), "FAKE_LOG": str(tmp_path / "log"),
        "FAKE_RC": str(rc), "FAKE_SLEEP": str(sleep), "HOME": str(tmp_path), "FAKE_APT_RC": str(apt_rc),
    }
    proc = subprocess.Popen(["bash", str(ROOT / ".ci" / "run")], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    return proc, env


@pytest.mark.parametrize("rc", [0, 1])
def test_ci_removes_its_virtual_environment(tmp_path, rc) -> None:
    proc, env = start_ci(tmp_path, rc)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == rc, out
    assert (tmp_path / "log").read_text().splitlines() == [
        "-m pip install torch==2.13.0 .[offline,test]",
        "-m pytest -q",
    ]
    assert os.listdir(env["TMPDIR"]) == []
    assert not (tmp_path / "log.apt").exists()  # chromium and chromedriver were there: nothing installed


@pytest.mark.parametrize("apt_rc", [0, 100])
def test_ci_installs_the_browser_where_it_is_missing(tmp_path, apt_rc) -> None:
    proc, env = start_ci(tmp_path, rc=0, browser=False, apt_rc=apt_rc)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out  # a failed install does not fail the run: the browser test skips
    assert (tmp_path / "log.apt").read_text().splitlines() == (
        ["update -qq", "install -y -qq chromium chromium-driver fonts-wqy-microhei"] if apt_rc == 0 else ["update -qq"])
    warning = b".ci/run: chromium and chromium-driver could not be installed; the browser test will skip\n"
    assert (warning in out) == (apt_rc != 0)
    assert (tmp_path / "log").read_text().splitlines()[-1] == "-m pytest -q"
    assert os.listdir(env["TMPDIR"]) == []


def test_ci_cleans_up_when_interrupted(tmp_path) -> None:
    proc, env = start_ci(tmp_path, rc=0, sleep=60)
    deadline = time.monotonic() + 30
    while not (tmp_path / "log.testing").exists():
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.1)
    assert len(os.listdir(env["TMPDIR"])) == 1  # the run's folder, holding the venv
    os.killpg(proc.pid, signal.SIGTERM)  # as a CI runner stops a job: the whole group
    proc.communicate(timeout=30)
    assert proc.returncode == 143
    assert os.listdir(env["TMPDIR"]) == []
