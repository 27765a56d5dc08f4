#!/bin/sh
# The one publish command: the Dockerfile runs it, and so does the test that starts the published binary
# (tests/LoadGen.Tests/Deploy/PublishTests.cs), so the image and the tested binary cannot drift apart.
# Usage: deploy/publish.sh RID OUT   (RID: linux-x64, linux-arm64, or Docker's amd64 / arm64)
set -eu
rid=${1:?usage: deploy/publish.sh RID OUT}
out=${2:?usage: deploy/publish.sh RID OUT}
case "$rid" in
  amd64|x64) rid=linux-x64 ;;
  arm64) rid=linux-arm64 ;;
esac
here=$(cd "$(dirname "$0")/.." && pwd)
# Self-contained: the image needs no .NET runtime; the lab backend is the same binary (loadgen lab backend).
exec dotnet publish "$here/loadgen/LoadGen.Cli/LoadGen.Cli.csproj" -c Release -r "$rid" --self-contained true --disable-build-servers \
  -p:DebugType=none -p:GenerateDocumentationFile=false -o "$out"
