package dev.mirrorsd.pipeline.profile;

/** Which pipeline a span ran on: a timeline has one track per lane. */
public enum Lane {
    TARGET,
    DRAFT
}
