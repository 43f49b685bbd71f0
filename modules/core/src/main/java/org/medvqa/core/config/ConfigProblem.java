package org.medvqa.core.config;

/** A configuration that cannot be used: an unknown, missing or mistyped key, named. */
public final class ConfigProblem extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public ConfigProblem(String message) {
    super(message);
  }
}
