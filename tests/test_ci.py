""".ci/run leaves nothing behind in the temporary folder: passed, failed or interrupted.

The script runs for real, with a stand-in ``python3`` first on the PATH whose ``-m venv``
makes a virtual environment whose ``python`` only logs its arguments (pytest's outcome is
chosen by the test).
"""

from __future__ import annotations

import os
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


def start_ci(tmp_path, rc: int, sleep: int = 0) -> tuple[subprocess.Popen, dict]:
    bin_dir, tmp = tmp_path / "bin", tmp_path / "tmp"
    bin_dir.mkdir()
    tmp.mkdir()
    (bin_dir / "python3").write_text(FAKE_PYTHON3)
    (bin_dir / "python3").chmod(0o755)
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin", "TMPDIR": str(tmp), "FAKE_LOG": str(tmp_path / "log"),
        "FAKE_RC": str(rc), "FAKE_SLEEP": str(sleep), "HOME": str(tmp_path),
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
