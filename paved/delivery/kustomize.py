"""The one module that runs kubectl: builds a kustomize directory into manifests.

`kubectl kustomize` needs no cluster. kubectl is on the machine images paved is
developed on; elsewhere install it (Debian `kubectl` or `kubernetes-client`).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from paved.errors import MissingToolError, PavedError

KUBECTL_HINT = ("install kubectl (for example `apt-get install kubectl`); "
                "`kubectl kustomize` needs no cluster")


class KustomizeError(PavedError):
    """A kustomize directory does not build."""


def kubectl() -> str:
    """The path of kubectl, or a `MissingToolError` saying how to get it."""
    found = shutil.which("kubectl")
    if found is None:
        raise MissingToolError("kubectl", KUBECTL_HINT)
    return found


def build(directory: Path) -> str:
    """The manifests `kubectl kustomize directory` renders, as one YAML stream."""
    done = subprocess.run([kubectl(), "kustomize", str(directory)], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        reason = " ".join(done.stderr.split()) or f"exit code {done.returncode}"
        raise KustomizeError(f"kubectl kustomize {directory} failed: {reason}")
    return done.stdout
