package org.medvqa.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared command line: help, usage errors and config errors, with their exit codes. */
class CommandLineTest {
  @Test
  void helpListsJobsAndExitsZero() {
    SparkTestBase.Run r = SparkTestBase.medvqa("--help");
    assertEquals(0, r.code(), r.toString());
    for (String job :
        new String[] {
          "synth",
          "ingest",
          "augment-images",
          "augment-questions",
          "train-vectors",
          "extract-features",
          "train",
          "predict",
          "evaluate",
          "pipeline",
          "run",
          "retrain",
          "report"
        }) {
      assertTrue(r.out().contains(job), r.toString());
    }
    SparkTestBase.Run h = SparkTestBase.medvqa("ingest", "--help");
    assertEquals(0, h.code());
    assertTrue(h.out().contains("--set"), h.toString());
  }

  @Test
  void noJobUnknownJobAndBadFlagsExitTwo() {
    assertEquals(2, SparkTestBase.medvqa().code());
    SparkTestBase.Run r = SparkTestBase.medvqa("fly");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("unknown job 'fly'"), r.toString());
    assertEquals(2, SparkTestBase.medvqa("ingest", "--bogus").code());
    assertEquals(2, SparkTestBase.medvqa("ingest", "stray").code());
    assertEquals(2, SparkTestBase.medvqa("ingest", "--set", "novalue").code());
  }

  @Test
  void unknownKeyIsRefusedByName() {
    SparkTestBase.Run r = SparkTestBase.medvqa("train", "--set", "medvqa.train.modle=majority");
    assertEquals(2, r.code(), r.toString());
    assertTrue(r.err().contains("unknown config key 'medvqa.train.modle'"), r.toString());
    assertTrue(r.err().contains("did you mean 'medvqa.train.model'"), r.toString());
  }

  /** A typo in the root: checked as strictly as one under it, the nearest key suggested. */
  @Test
  void keyOutsideTheKnownRootIsRefusedWithTheNearestKey(@TempDir Path dir) {
    SparkTestBase.Run r =
        SparkTestBase.medvqa(
            "evaluate",
            "--set",
            "medvaq.eval.output=" + dir.resolve("metrics.json"),
            "--set",
            "medvqa.eval.task=vqa");
    assertEquals(2, r.code(), r.toString());
    assertTrue(r.err().contains("unknown config key 'medvaq.eval.output'"), r.toString());
    assertTrue(r.err().contains("did you mean 'medvqa.eval.output'"), r.toString());
    SparkTestBase.Run other = SparkTestBase.medvqa("train", "--set", "spark.master=local[1]");
    assertEquals(2, other.code(), other.toString());
    assertTrue(other.err().contains("every setting is under 'medvqa'"), other.toString());
  }

  /** A missing include is an error, not an empty file: every shipped config says required. */
  @Test
  void includesAreRequired(@TempDir Path dir) throws Exception {
    Path conf = dir.resolve("run.conf");
    Files.writeString(conf, "include required(\"common.conf\")\nmedvqa.eval.task = vqa\n");
    SparkTestBase.Run r = SparkTestBase.medvqa("evaluate", "--config", conf.toString());
    assertEquals(2, r.code(), r.toString());
    assertTrue(r.err().contains("common.conf"), r.toString());
    try (var files = Files.walk(Path.of("../conf"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".conf")).toList()) {
        for (String line : Files.readAllLines(f)) {
          assertTrue(
              !line.trim().startsWith("include") || line.contains("include required("),
              f + ": '" + line + "' would silently read nothing if the file were missing");
        }
        Main.load(f.toString(), null); // and each loads: its includes are there
      }
    }
  }

  @Test
  void wrongTypeIsRefusedByName() {
    SparkTestBase.Run r =
        SparkTestBase.medvqa("ingest", "--set", "medvqa.ingest.max-rejected-fraction=lots");
    assertEquals(2, r.code(), r.toString());
    assertTrue(r.err().contains("medvqa.ingest.max-rejected-fraction"), r.toString());
  }

  @Test
  void missingRequiredKeyIsRefusedByName() {
    SparkTestBase.Run r = SparkTestBase.medvqa("evaluate", "--set", "medvqa.eval.task=vqa");
    assertEquals(2, r.code(), r.toString());
    assertTrue(
        r.err().contains("missing required config key 'medvqa.eval.ground-truth'"), r.toString());
  }

  @Test
  void badEnumValueIsRefusedByName() {
    SparkTestBase.Run r =
        SparkTestBase.medvqa(
            "evaluate",
            "--set",
            "medvqa.eval.task=caption",
            "--set",
            "medvqa.eval.ground-truth=/x",
            "--set",
            "medvqa.eval.submission=/y");
    assertEquals(2, r.code(), r.toString());
    assertTrue(r.err().contains("medvqa.eval.task"), r.toString());
  }

  @Test
  void configFileIsReadAndSetWins(@TempDir Path dir) throws Exception {
    Path conf = dir.resolve("run.conf");
    Files.writeString(conf, "medvqa.train.model = nope\n");
    SparkTestBase.Run r = SparkTestBase.medvqa("train", "--config", conf.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("medvqa.train.model"), r.toString());
    assertEquals(
        2,
        SparkTestBase.medvqa("train", "--config", dir.resolve("missing.conf").toString()).code());
  }

  @Test
  void setValuesKeepUrlsWhole() {
    assertEquals("s3a://bucket/x/y", SettingsLoader.value("k", "s3a://bucket/x/y").unwrapped());
    assertEquals(3L, ((Number) SettingsLoader.value("k", "3").unwrapped()).longValue());
    assertEquals(0.25, ((Number) SettingsLoader.value("k", "0.25").unwrapped()).doubleValue());
    assertEquals(Boolean.TRUE, SettingsLoader.value("k", "true").unwrapped());
    assertEquals(
        java.util.List.of("train", "val"), SettingsLoader.value("k", "[train, val]").unwrapped());
  }
}
