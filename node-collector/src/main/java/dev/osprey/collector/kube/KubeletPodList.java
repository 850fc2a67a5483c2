package dev.osprey.collector.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.osprey.collector.kube.PodInfo.ContainerInfo;
import dev.osprey.core.http.ClientTls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The kubelet's pod list ({@code GET /pods} on its read-only port, a {@code v1.PodList} JSON), read
 * from a URL or a file and re-read at most once per {@code minAge}.
 */
public final class KubeletPodList implements PodMetadata {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String source;
  private final Duration minAge;
  private final HttpClient http;
  private final Path tokenFile;
  private volatile View view = new View(Map.of(), Map.of());
  private volatile long loadedAtNanos;
  private volatile boolean loaded;

  private record View(Map<String, PodInfo> byUid, Map<String, ContainerInfo> byContainerId) {}

  public KubeletPodList(String source, Duration minAge) {
    this(KubeletConfig.of(source), minAge);
  }

  public KubeletPodList(KubeletConfig config, Duration minAge) {
    this.source = config.pods();
    this.minAge = minAge;
    this.tokenFile = config.tokenFile();
    if (source.startsWith("http://") || source.startsWith("https://")) {
      HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
      if (source.startsWith("https://")) {
        // an unreadable CA file means the JDK's CAs (the service-account CA may be absent)
        Path ca =
            config.caFile() != null && Files.isReadable(config.caFile()) ? config.caFile() : null;
        b.sslContext(ClientTls.context(ca, config.insecureSkipVerify(), "kubelet ca file"));
      }
      this.http = b.build();
    } else {
      this.http = null;
    }
  }

  @Override
  public synchronized void refresh() {
    if (loaded && System.nanoTime() - loadedAtNanos < minAge.toNanos()) {
      return;
    }
    byte[] body = fetch();
    List<PodInfo> pods = parse(body);
    Map<String, PodInfo> byUid = new HashMap<>();
    Map<String, ContainerInfo> byId = new HashMap<>();
    for (PodInfo p : pods) {
      byUid.put(p.uid(), p);
      for (ContainerInfo c : p.containers()) {
        if (!c.id().isEmpty()) {
          byId.put(c.id(), c);
        }
      }
    }
    view = new View(Map.copyOf(byUid), Map.copyOf(byId));
    loadedAtNanos = System.nanoTime();
    loaded = true;
  }

  private byte[] fetch() {
    try {
      if (http == null) {
        return Files.readAllBytes(Path.of(source));
      }
      HttpRequest.Builder req =
          HttpRequest.newBuilder(URI.create(source))
              .timeout(Duration.ofSeconds(10))
              .header("Accept", "application/json");
      if (tokenFile != null && source.startsWith("https://") && Files.isReadable(tokenFile)) {
        req.header("Authorization", "Bearer " + Files.readString(tokenFile).trim());
      }
      HttpResponse<byte[]> r = http.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
      if (r.statusCode() != 200) {
        throw new IOException("HTTP status " + r.statusCode());
      }
      return r.body();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read kubelet pod list " + source + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted reading kubelet pod list " + source, e);
    }
  }

  /** Parses a {@code v1.PodList} JSON document. */
  public static List<PodInfo> parse(byte[] json) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot parse pod list: " + e.getMessage(), e);
    }
    List<PodInfo> out = new ArrayList<>();
    for (JsonNode item : root.path("items")) {
      JsonNode meta = item.path("metadata");
      JsonNode spec = item.path("spec");
      JsonNode status = item.path("status");
      Map<String, JsonNode> statusByName = new HashMap<>();
      java.util.Set<String> initNames = new java.util.HashSet<>();
      for (String field :
          List.of("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses")) {
        for (JsonNode cs : status.path(field)) {
          statusByName.put(cs.path("name").asText(""), cs);
          if (field.equals("initContainerStatuses")) {
            initNames.add(cs.path("name").asText(""));
          }
        }
      }
      List<ContainerInfo> containers = new ArrayList<>();
      java.util.Set<String> named = new java.util.HashSet<>();
      for (String field : List.of("initContainers", "containers", "ephemeralContainers")) {
        for (JsonNode c : spec.path(field)) {
          String name = c.path("name").asText("");
          named.add(name);
          List<PodInfo.Port> ports = new ArrayList<>();
          for (JsonNode p : c.path("ports")) {
            ports.add(
                new PodInfo.Port(
                    p.path("name").asText(""),
                    p.path("containerPort").asInt(0),
                    p.path("protocol").asText("TCP")));
          }
          containers.add(
              container(
                  name,
                  c.path("image").asText(""),
                  statusByName.get(name),
                  List.copyOf(ports),
                  field.equals("initContainers")));
        }
      }
      // statuses without a spec entry (a pod list trimmed by someone): still usable for names
      statusByName.forEach(
          (name, cs) -> {
            if (!named.contains(name)) {
              containers.add(container(name, "", cs, List.of(), initNames.contains(name)));
            }
          });
      String ready = "unknown";
      for (JsonNode cond : status.path("conditions")) {
        if (cond.path("type").asText("").equals("Ready")) {
          ready = cond.path("status").asText("Unknown").toLowerCase(java.util.Locale.ROOT);
        }
      }
      String ctrlKind = "";
      String ctrlName = "";
      for (JsonNode ref : meta.path("ownerReferences")) {
        if (ref.path("controller").asBoolean(false)) {
          ctrlKind = ref.path("kind").asText("");
          ctrlName = ref.path("name").asText("");
        }
      }
      out.add(
          new PodInfo(
              meta.path("uid").asText(""),
              meta.path("name").asText(""),
              meta.path("namespace").asText(""),
              status.path("phase").asText(""),
              time(status.path("startTime")),
              List.copyOf(containers),
              status.path("podIP").asText(""),
              status.path("hostIP").asText(""),
              spec.path("nodeName").asText(""),
              stringMap(meta.path("labels")),
              stringMap(meta.path("annotations")),
              ready,
              ctrlKind,
              ctrlName));
    }
    return out;
  }

  private static ContainerInfo container(
      String name, String specImage, JsonNode cs, List<PodInfo.Port> ports, boolean init) {
    if (cs == null) {
      return new ContainerInfo(name, "", specImage, 0, Double.NaN, Double.NaN, ports, init);
    }
    String image = cs.path("image").asText("");
    return new ContainerInfo(
        name,
        stripScheme(cs.path("containerID").asText("")),
        image.isEmpty() ? specImage : image,
        cs.path("restartCount").asInt(0),
        time(cs.path("state").path("running").path("startedAt")),
        time(cs.path("lastState").path("terminated").path("finishedAt")),
        ports,
        init);
  }

  private static Map<String, String> stringMap(JsonNode n) {
    Map<String, String> m = new java.util.TreeMap<>();
    n.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asText("")));
    return java.util.Collections.unmodifiableMap(m);
  }

  private static String stripScheme(String id) {
    int i = id.indexOf("://");
    return i < 0 ? id : id.substring(i + 3);
  }

  private static double time(JsonNode n) {
    if (!n.isTextual()) {
      return Double.NaN;
    }
    try {
      Instant t = Instant.parse(n.asText());
      return t.getEpochSecond() + t.getNano() / 1e9;
    } catch (DateTimeParseException e) {
      return Double.NaN;
    }
  }

  @Override
  public PodInfo pod(String uid) {
    return view.byUid().get(uid);
  }

  @Override
  public ContainerInfo container(String containerId) {
    return view.byContainerId().get(containerId);
  }

  @Override
  public Collection<PodInfo> pods() {
    return view.byUid().values();
  }
}
