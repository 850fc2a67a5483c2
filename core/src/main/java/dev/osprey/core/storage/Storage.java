package dev.osprey.core.storage;

/** A place samples go in and come out: the only view the query engine has of the tsdb. */
public interface Storage extends AutoCloseable {
  Appender appender();

  Querier querier();

  /** The oldest timestamp (ms) the storage may hold, or {@link Long#MAX_VALUE} when empty. */
  long minTime();

  /**
   * Where this storage reports changes to samples a results cache may hold answers for, or null
   * when it does not (a results cache must then stay off).
   */
  default SampleChanges changes() {
    return null;
  }

  @Override
  void close();
}
