package dev.osprey.collector.cgroup;

/**
 * What a cgroup path says about Kubernetes: the pod UID and the container ID that the kubelet and
 * the container runtime encoded in it. Both drivers are understood:
 *
 * <ul>
 *   <li>cgroupfs: {@code /kubepods/burstable/pod<uid>/<64-hex id>}, {@code /kubepods/pod<uid>/<id>}
 *   <li>systemd: {@code /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid with
 *       _>.slice/cri-containerd-<id>.scope} (also {@code crio-}, {@code docker-}, {@code
 *       cri-dockerd-})
 * </ul>
 *
 * @param podUid the pod UID with dashes, or "" when the path is not at or below a pod
 * @param containerId the runtime's container ID, or "" when the path is not a container
 * @param qos "guaranteed", "burstable" or "besteffort", or "" outside kubepods
 */
public record KubeCgroupPath(String podUid, String containerId, String qos) {
  public static final KubeCgroupPath NONE = new KubeCgroupPath("", "", "");

  private static final String[] SCOPE_PREFIXES = {
    "cri-containerd-", "crio-", "docker-", "cri-dockerd-", "containerd-"
  };

  public boolean isPod() {
    return !podUid.isEmpty() && containerId.isEmpty();
  }

  public boolean isContainer() {
    return !containerId.isEmpty();
  }

  /** Parses a cgroup id such as {@code /kubepods.slice/...}; {@link #NONE} outside kubepods. */
  public static KubeCgroupPath parse(String id) {
    String[] segs = id.split("/");
    int i = 0;
    while (i < segs.length && !isKubepods(segs[i])) {
      i++;
    }
    if (i == segs.length) {
      return NONE;
    }
    String qos = "guaranteed";
    String pod = "";
    String container = "";
    for (i = i + 1; i < segs.length; i++) {
      String s = segs[i];
      if (pod.isEmpty()) {
        String q = qosOf(s);
        if (q != null) {
          qos = q;
          continue;
        }
        String uid = podUidOf(s);
        if (uid == null) {
          return NONE;
        }
        pod = uid;
      } else {
        String c = containerIdOf(s);
        if (c == null) {
          return NONE;
        }
        container = c;
        if (i != segs.length - 1) {
          return NONE; // something nested below a container: not a container cgroup
        }
      }
    }
    return new KubeCgroupPath(pod, container, qos);
  }

  private static boolean isKubepods(String s) {
    return s.equals("kubepods") || s.equals("kubepods.slice");
  }

  private static String qosOf(String s) {
    return switch (s) {
      case "burstable", "kubepods-burstable.slice" -> "burstable";
      case "besteffort", "kubepods-besteffort.slice" -> "besteffort";
      default -> null;
    };
  }

  private static String podUidOf(String s) {
    if (s.endsWith(".slice")) {
      int p = s.lastIndexOf("-pod");
      if (p < 0 || !s.startsWith("kubepods")) {
        return null;
      }
      String uid = s.substring(p + 4, s.length() - ".slice".length()).replace('_', '-');
      return isUid(uid) ? uid : null;
    }
    if (s.startsWith("pod")) {
      String uid = s.substring(3);
      return isUid(uid) ? uid : null;
    }
    return null;
  }

  private static boolean isUid(String s) {
    if (s.isEmpty() || s.length() > 64) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!(isHex(c) || c == '-')) {
        return false;
      }
    }
    return true;
  }

  private static String containerIdOf(String s) {
    String id = s;
    if (s.endsWith(".scope")) {
      id = null;
      String body = s.substring(0, s.length() - ".scope".length());
      if (body.startsWith("crio-conmon-")) {
        return null;
      }
      for (String p : SCOPE_PREFIXES) {
        if (body.startsWith(p)) {
          id = body.substring(p.length());
          break;
        }
      }
      if (id == null) {
        return null;
      }
    }
    if (id.length() < 12 || id.length() > 128) {
      return null;
    }
    for (int i = 0; i < id.length(); i++) {
      if (!isHex(id.charAt(i))) {
        return null;
      }
    }
    return id;
  }

  private static boolean isHex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }
}
