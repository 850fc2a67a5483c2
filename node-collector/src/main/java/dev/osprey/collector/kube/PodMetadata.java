package dev.osprey.collector.kube;

import java.util.Collection;

/** Looks up pods by UID and containers by runtime ID. Implementations cache; lookups are cheap. */
public interface PodMetadata {
  /** The pod with this UID, or null. */
  PodInfo pod(String uid);

  /** The container with this runtime ID (no scheme), or null. */
  PodInfo.ContainerInfo container(String containerId);

  /** All known pods (for pod-state metrics). */
  Collection<PodInfo> pods();

  /** Re-reads the source if it is due; a failure keeps the last good view and is rethrown. */
  default void refresh() {}

  PodMetadata NONE =
      new PodMetadata() {
        @Override
        public PodInfo pod(String uid) {
          return null;
        }

        @Override
        public PodInfo.ContainerInfo container(String containerId) {
          return null;
        }

        @Override
        public Collection<PodInfo> pods() {
          return java.util.List.of();
        }
      };
}
