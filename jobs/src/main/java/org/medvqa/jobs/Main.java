package org.medvqa.jobs;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.ParseException;
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

  /** Runs a job from its arguments and returns the exit code; what tests call. */
  public int run(String[] args) {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
      CommandLineHelp.usage(JOBS.values(), args.length == 0 ? err : out, null);
      return args.length == 0 ? USAGE : OK;
    }
    Job job = JOBS.get(args[0]);
    if (job == null) {
      err.println("medvqa: unknown job '" + args[0] + "'");
      CommandLineHelp.usage(JOBS.values(), err, null);
      return USAGE;
    }
    CommandLine cli;
    try {
      cli =
          new DefaultParser()
              .parse(CommandLineHelp.options(), Arrays.copyOfRange(args, 1, args.length));
    } catch (ParseException e) {
      err.println("medvqa " + job.name() + ": " + e.getMessage());
      CommandLineHelp.usage(JOBS.values(), err, job);
      return USAGE;
    }
    if (cli.hasOption("help")) {
      CommandLineHelp.usage(JOBS.values(), out, job);
      return OK;
    }
    if (!cli.getArgList().isEmpty()) {
      err.println("medvqa " + job.name() + ": unexpected arguments " + cli.getArgList());
      CommandLineHelp.usage(JOBS.values(), err, job);
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

  /** See {@link SettingsLoader#load}: what every job and test gets as its config. */
  public static Config load(String file, String[] sets) {
    return SettingsLoader.load(file, sets);
  }
}
