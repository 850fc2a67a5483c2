package dev.osprey.query.logql;

import dev.osprey.core.labels.Labels;

/**
 * One output series of a metric query: a value per evaluation step, NaN where the series has no
 * sample. (A stand-in for the PromQL engine's matrix until LogQL metric queries move onto it.)
 */
public record StepSeries(Labels labels, double[] values) {}
