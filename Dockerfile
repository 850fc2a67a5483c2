# The Osprey image: the runnable jar plus the launcher, which reads the JVM flags from
# jvm.properties (the same file the build's tests use). Build the jar first: ./osprey version
# (No Docker engine runs on the development machines, so this file is not built in CI.)
FROM eclipse-temurin:25-jre
WORKDIR /opt/osprey
COPY osprey jvm.properties ./
COPY server/target/osprey.jar server/target/osprey.jar
ENV OSPREY_SKIP_BUILD=1
USER 65534
EXPOSE 9400 9401
ENTRYPOINT ["/opt/osprey/osprey"]
CMD ["server", "--listen", "0.0.0.0:9400", "--data-dir", "/data"]
