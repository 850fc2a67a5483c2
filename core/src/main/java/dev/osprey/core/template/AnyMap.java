package dev.osprey.core.template;

import java.util.TreeMap;

/**
 * A Go {@code map[string]any} (a decoded JSON object, say): a missing key is nil, which prints as
 * {@code <no value>}, where a label map's missing key is the empty string. Keys are sorted, as Go
 * prints and ranges over maps.
 */
public final class AnyMap extends TreeMap<String, Object> {}
