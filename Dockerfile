# LoadGen's image: the `loadgen` CLI, self-contained, run as a non-root user. The lab backend is the same
# binary (`loadgen lab backend`), so the target kit (deploy/k8s/target-kit) uses this image too. No NGINX:
# in a cluster the real ESP and the real gateway stand in front of the backend.
#
#   docker buildx build --platform linux/amd64,linux/arm64 -t REGISTRY/loadgen:TAG --push .
#
# The publish step is deploy/publish.sh, the script tests/LoadGen.Tests/Deploy/PublishTests.cs runs and
# starts the result of: what the image holds is what the suite ran.

FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TARGETARCH
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props ./
COPY protos/ protos/
COPY loadgen/ loadgen/
COPY lab/ lab/
COPY reports/ reports/
COPY deploy/publish.sh deploy/publish.sh
RUN sh deploy/publish.sh "$TARGETARCH" /out

FROM mcr.microsoft.com/dotnet/runtime-deps:10.0 AS final
# Fonts for the charts in report.html; nothing else is added to the base image.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out /app
# The base image's non-root user (UID 1654); run folders go to a volume it can write (see deploy/k8s).
USER $APP_UID
WORKDIR /runs
ENTRYPOINT ["/app/loadgen"]
CMD ["--help"]
