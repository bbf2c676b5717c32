#!/usr/bin/env bash
# Installs what the notebooks need, all from Debian's packages and Maven Central:
#   - Jupyter (nbconvert, notebook, ipykernel) from apt, if `jupyter` is missing and we may install;
#   - the embtune library compiled (lib/target/classes) with its runtime jars (lib/target/deps);
#   - a Java kernel: rapaio-jupyter-kernel, a maintained JShell kernel published on Maven Central
#     (JJava's kernel artifacts are not on the Maven Central this project can reach), started by
#     notebooks/kernel/EmbtuneKernel.java (which avoids a start-up race of its main) and registered
#     as the Jupyter kernel "embtune" with the library on its class path.
# The kernel is written twice: into this checkout (lib/target/jupyter/kernels/embtune), which this
# checkout's NotebooksTest selects through JUPYTER_PATH, so any number of clones test their own code;
# and user-wide (JUPYTER_DATA_DIR, default ~/.local/share/jupyter), for `jupyter notebook notebooks/`.
# There is one user-wide "embtune" kernel: the last checkout to run this script owns it, and the
# script says which checkout that is and which one it replaced.
# Then: jupyter notebook notebooks/   (or execute one: jupyter nbconvert --to notebook --execute 01-*.ipynb)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rjk_version=3.0.1

if ! command -v jupyter >/dev/null 2>&1 || ! jupyter nbconvert --version >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Jupyter from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jupyter-nbconvert jupyter-notebook python3-ipykernel >/dev/null
  else
    echo "embtune: needs Jupyter (Debian: sudo apt-get install jupyter-notebook jupyter-nbconvert python3-ipykernel)" >&2
    exit 1
  fi
fi

echo "compiling the embtune library and collecting its jars"
mvn -q -B -f "$root/lib/pom.xml" compile dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$root/lib/target/deps"

echo "fetching rapaio-jupyter-kernel $rjk_version from Maven Central"
mvn -q -B -f "$root/lib/pom.xml" dependency:copy -Dartifact="io.github.padreati:rapaio-jupyter-kernel:$rjk_version" \
    -DoutputDirectory="$root/lib/target/kernel"
jar="$root/lib/target/kernel/rapaio-jupyter-kernel-$rjk_version.jar"

# our launcher: the kernel's own main has a start-up race (see notebooks/kernel/EmbtuneKernel.java)
javac -d "$root/lib/target/kernel/classes" -cp "$jar" "$root/notebooks/kernel/EmbtuneKernel.java"

# the kernel spec of this checkout, for its tests (NotebooksTest sets JUPYTER_PATH to lib/target/jupyter)
spec="$root/lib/target/jupyter/kernels/embtune"
mkdir -p "$spec"
cat > "$spec/kernel.json" <<JSON
{
  "argv": ["java", "-Xmx6g", "-Djava.awt.headless=true", "-cp", "$jar:$root/lib/target/kernel/classes", "EmbtuneKernel", "{connection_file}"],
  "display_name": "Java (embtune)",
  "language": "java",
  "interrupt_mode": "message",
  "env": {
    "RJK_CLASSPATH": "$root/lib/target/classes;$root/lib/target/deps/*.jar",
    "RJK_COMPILER_OPTIONS": "",
    "RJK_INIT_SCRIPT": "",
    "RJK_TIMEOUT_MILLIS": "-1",
    "RJK_MIMA_CACHE": "$root/lib/target/mima_cache",
    "THP_MEM_ALLOC_ENABLE": "1"
  }
}
JSON
echo "kernel 'embtune' for this checkout's tests: $spec/kernel.json"

# the same spec user-wide, for jupyter notebook: it points at this checkout only
user="${JUPYTER_DATA_DIR:-$HOME/.local/share/jupyter}/kernels/embtune"
before=""
if [ -f "$user/kernel.json" ]; then
  before=$(sed -n 's/.*"RJK_CLASSPATH": "\(.*\)\/lib\/target\/classes;.*/\1/p' "$user/kernel.json")
fi
mkdir -p "$user"
cp "$spec/kernel.json" "$user/kernel.json"
echo "kernel 'embtune' registered user-wide in $user, running the checkout $root"
if [ -n "$before" ] && [ "$before" != "$root" ]; then
  echo "  (it ran $before before; that checkout's own tests keep using their own kernel)"
fi
