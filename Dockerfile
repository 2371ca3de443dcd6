# Container image of a Converge node. From the repository root:
#   docker build -t converge:0.1.0 .
# (see docs/kubernetes.md; this file has not been built on the machine it was written on,
# which has no Docker).

# Build stage: Maven on JDK 25 builds the server's shaded jar (tests are the CI's job, not the image's).
FROM maven:3.9-eclipse-temurin-25 AS build
WORKDIR /src
COPY . .
# The cache mount keeps ~/.m2 between builds (BuildKit, the default builder of current Docker).
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q -pl server -am package -DskipTests

# Runtime stage: a JRE 25, the jar, its JVM options and the entrypoint, run as a non-root user.
# The node configuration and the cluster description are mounted at /etc/converge/config, the
# secrets at /etc/converge/secret (deploy/kubernetes/statefulset.yaml does both).
FROM eclipse-temurin:25-jre
RUN groupadd --system --gid 10001 converge \
 && useradd --system --uid 10001 --gid converge --home-dir /data --no-create-home converge \
 && mkdir -p /data /etc/converge/config /etc/converge/secret \
 && chown converge:converge /data
COPY --from=build /src/server/target/converge-server.jar /opt/converge/converge-server.jar
COPY server/jvm.options /opt/converge/jvm.options
COPY deploy/docker/entrypoint.sh /opt/converge/entrypoint.sh
RUN chmod 0755 /opt/converge/entrypoint.sh
USER 10001:10001
WORKDIR /data
# The node's data directory (data-dir in node.yaml): a volume, a PersistentVolumeClaim in Kubernetes.
VOLUME ["/data"]
# 6379: clients (Redis protocol), 16379: the other nodes, 8080: HTTP admin (/metrics, /health, /ready).
EXPOSE 6379 16379 8080
# No HEALTHCHECK: Kubernetes ignores it and probes /health and /ready itself (statefulset.yaml).
ENTRYPOINT ["/opt/converge/entrypoint.sh"]
