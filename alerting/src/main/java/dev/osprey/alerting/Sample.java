package dev.osprey.alerting;

import dev.osprey.core.labels.Labels;

/** One element of an instant vector as a rule sees it: labels, value and the sample's time (ms). */
public record Sample(Labels labels, double value, long timestampMillis) {}
