package org.medvqa.jobs;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import java.io.File;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.HelpFormatter;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;
import org.medvqa.core.config.ConfigCheck;
import org.medvqa.core.config.ConfigProblem;
import org.medvqa.core.stage.StageContext;
import org.medvqa.core.stage.StageFailure;

/**
 * The one command line of every job: {@code medvqa <job> [--config FILE] [--set key=value]...
 * [--help]}, the same under {@code bin/medvqa} and after {@code spark-submit --class
 * org.medvqa.jobs.Main medvqa-jobs.jar}. Flags only choose the configuration; everything else is in
 * HOCON. Exit codes: 0 success, 1 job failure, 2 usage or configuration error.
 */
public final class Main {
  public static final int OK = 0;
  public static final int FAILED = 1;
  public static final int USAGE = 2;

  private static final Map<String, Job> JOBS = new LinkedHashMap<>();

  static {
    for (Job j :
        List.of(
            new SynthJob(),
            new IngestJob(),
            new AugmentImagesJob(),
            new AugmentQuestionsJob(),
            new TrainVectorsJob(),
            new ExtractFeaturesJob(),
            new TrainJob(),
            new PredictJob(),
            new PipelineJob(),
            new PipelineJob("run"),
            new RetrainJob(),
            new EvaluateJob(),
            new ReportJob())) {
      JOBS.put(j.name(), j);
    }
  }

  private final PrintStream out;
  private final PrintStream err;

  public Main(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  public static void main(String[] args) {
    System.exit(new Main(System.out, System.err).run(args));
  }

  static Options options() {
    Options o = new Options();
    o.addOption(
        Option.builder("c")
            .longOpt("config")
            .hasArg()
            .argName("FILE")
            .desc("HOCON file with the settings (defaults: every module's reference.conf)")
            .get());
    o.addOption(
        Option.builder("s")
            .longOpt("set")
            .hasArg()
            .argName("key=value")
            .desc("override one config key; repeatable; wins over --config")
            .get());
    o.addOption(Option.builder("h").longOpt("help").desc("print this help").get());
    return o;
  }

  /** Runs a job from its arguments and returns the exit code; what tests call. */
  public int run(String[] args) {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
      usage(args.length == 0 ? err : out, null);
      return args.length == 0 ? USAGE : OK;
    }
    Job job = JOBS.get(args[0]);
    if (job == null) {
      err.println("medvqa: unknown job '" + args[0] + "'");
      usage(err, null);
      return USAGE;
    }
    CommandLine cli;
    try {
      cli = new DefaultParser().parse(options(), Arrays.copyOfRange(args, 1, args.length));
    } catch (ParseException e) {
      err.println("medvqa " + job.name() + ": " + e.getMessage());
      usage(err, job);
      return USAGE;
    }
    if (cli.hasOption("help")) {
      usage(out, job);
      return OK;
    }
    if (!cli.getArgList().isEmpty()) {
      err.println("medvqa " + job.name() + ": unexpected arguments " + cli.getArgList());
      usage(err, job);
      return USAGE;
    }
    Config config;
    try {
      config = load(cli.getOptionValue("config"), cli.getOptionValues("set"));
    } catch (ConfigProblem | ConfigException e) {
      err.println("medvqa " + job.name() + ": " + e.getMessage());
      return USAGE;
    }
    long start = System.nanoTime();
    try (StageContext ctx = new StageContext(job.name(), config, out, err)) {
      job.run(ctx);
      out.printf(
          Locale.ROOT,
          "medvqa %s: done in %.1f s%n",
          job.name(),
          (System.nanoTime() - start) / 1e9);
      return OK;
    } catch (ConfigProblem | ConfigException e) {
      err.println("medvqa " + job.name() + ": " + e.getMessage());
      return USAGE;
    } catch (StageFailure e) {
      err.println("medvqa " + job.name() + ": failed: " + e.getMessage());
      return FAILED;
    } catch (Exception e) {
      err.println("medvqa " + job.name() + ": failed: " + e);
      e.printStackTrace(err);
      return FAILED;
    }
  }

  /**
   * The resolved configuration: {@code --set} values over the file over the reference defaults,
   * checked for unknown keys and wrong types.
   */
  public static Config load(String file, String[] sets) {
    Config c = ConfigFactory.empty();
    Config reference = ConfigFactory.defaultReference();
    if (sets != null) {
      for (String s : sets) {
        int eq = s.indexOf('=');
        if (eq <= 0) {
          throw new ConfigProblem("--set needs key=value, got '" + s + "'");
        }
        String key = s.substring(0, eq).trim();
        ConfigCheck.requireUnder(key, reference, "medvqa");
        c = c.withValue(key, value(key, s.substring(eq + 1)));
      }
    }
    if (file != null) {
      File f = new File(file);
      if (!f.isFile()) {
        throw new ConfigProblem("config file '" + file + "' does not exist");
      }
      c = c.withFallback(ConfigFactory.parseFile(f));
    }
    Config resolved = c.withFallback(reference).resolve();
    ConfigCheck.validate(resolved, reference, "medvqa");
    return resolved;
  }

  /**
   * A --set value: numbers and booleans as such, {@code [..]} and <code>{..}</code> as HOCON, and
   * anything else as a plain string, so that {@code s3a://bucket/x} is not cut at "//" (a HOCON
   * comment).
   */
  static ConfigValue value(String key, String raw) {
    String v = raw.trim();
    if (v.startsWith("[") || v.startsWith("{")) {
      try {
        return ConfigFactory.parseString("v = " + v).getValue("v");
      } catch (ConfigException e) {
        throw new ConfigProblem("--set " + key + ": cannot parse '" + v + "': " + e.getMessage());
      }
    }
    if (v.equals("true") || v.equals("false")) {
      return ConfigValueFactory.fromAnyRef(Boolean.parseBoolean(v));
    }
    if (v.matches("-?[0-9]+")) {
      try {
        return ConfigValueFactory.fromAnyRef(Long.parseLong(v));
      } catch (NumberFormatException e) {
        return ConfigValueFactory.fromAnyRef(v);
      }
    }
    if (v.matches("-?([0-9]+\\.[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?|-?[0-9]+[eE][-+]?[0-9]+")) {
      return ConfigValueFactory.fromAnyRef(Double.parseDouble(v));
    }
    return ConfigValueFactory.fromAnyRef(raw);
  }

  private void usage(PrintStream s, Job job) {
    PrintWriter w = new PrintWriter(s, true);
    HelpFormatter help = HelpFormatter.builder().get();
    String syntax =
        "medvqa " + (job == null ? "<job>" : job.name()) + " [--config FILE] [--set key=value]...";
    StringBuilder footer = new StringBuilder();
    if (job == null) {
      footer.append("\njobs:\n");
      JOBS.values()
          .forEach(
              j ->
                  footer.append(String.format(Locale.ROOT, "  %-18s %s%n", j.name(), j.summary())));
    } else {
      footer.append("\n").append(job.summary()).append("\n");
    }
    footer.append("\nSettings live in HOCON; see conf/ and each module's reference.conf.");
    footer.append("\nExit codes: 0 success, 1 job failure, 2 usage or configuration error.");
    help.printHelp(w, 100, syntax, "", options(), 2, 4, footer.toString());
    w.flush();
  }
}
