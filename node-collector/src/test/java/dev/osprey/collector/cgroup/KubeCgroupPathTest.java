package dev.osprey.collector.cgroup;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KubeCgroupPathTest {
  static final String UID = "6d3a6a6e-0f0b-4c1e-9a7e-1c2b3d4e5f60";
  static final String CID = "4f1ba0b2c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70";

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "/|''|''|''",
        "/system.slice/containerd.service|''|''|''",
        "/kubepods|''|''|guaranteed",
        "/kubepods.slice/kubepods-burstable.slice|''|''|burstable",
        "/kubepods/burstable/pod" + UID + "|" + UID + "|''|burstable",
        "/kubepods/burstable/pod" + UID + "/" + CID + "|" + UID + "|" + CID + "|burstable",
        "/kubepods/pod" + UID + "/" + CID + "|" + UID + "|" + CID + "|guaranteed",
        "/kubepods/besteffort/pod" + UID + "/" + CID + "|" + UID + "|" + CID + "|besteffort",
        "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod6d3a6a6e_0f0b_4c1e_9a7e_1c2b3d4e5f60.slice|"
            + UID
            + "|''|burstable",
        "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod6d3a6a6e_0f0b_4c1e_9a7e_1c2b3d4e5f60.slice/cri-containerd-"
            + CID
            + ".scope|"
            + UID
            + "|"
            + CID
            + "|burstable",
        "/kubepods.slice/kubepods-pod6d3a6a6e_0f0b_4c1e_9a7e_1c2b3d4e5f60.slice/crio-"
            + CID
            + ".scope|"
            + UID
            + "|"
            + CID
            + "|guaranteed",
        "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod6d3a6a6e_0f0b_4c1e_9a7e_1c2b3d4e5f60.slice/docker-"
            + CID
            + ".scope|"
            + UID
            + "|"
            + CID
            + "|besteffort",
        // conmon is CRI-O's monitor process, not the container
        "/kubepods.slice/kubepods-pod6d3a6a6e_0f0b_4c1e_9a7e_1c2b3d4e5f60.slice/crio-conmon-"
            + CID
            + ".scope|''|''|''",
        // kubelet running in a nested cgroup (kind, docker-in-docker)
        "/docker/abc/kubepods/burstable/pod"
            + UID
            + "/"
            + CID
            + "|"
            + UID
            + "|"
            + CID
            + "|burstable",
        "/kubepods/burstable/notapod|''|''|''",
        "/kubepods/burstable/pod" + UID + "/" + CID + "/nested|''|''|''",
      })
  void parsesKubeletPaths(String id, String pod, String container, String qos) {
    KubeCgroupPath k = KubeCgroupPath.parse(id);
    assertThat(k.podUid()).isEqualTo(pod);
    assertThat(k.containerId()).isEqualTo(container);
    assertThat(k.qos()).isEqualTo(qos);
  }
}
