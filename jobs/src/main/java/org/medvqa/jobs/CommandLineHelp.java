package org.medvqa.jobs;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Collection;
import java.util.Locale;
import org.apache.commons.cli.HelpFormatter;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/** The shared command line's options and its help text. */
final class CommandLineHelp {
  private CommandLineHelp() {}

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

  /** Prints the usage of {@code job}, or of every job in {@code jobs} when it is null. */
  static void usage(Collection<Job> jobs, PrintStream s, Job job) {
    PrintWriter w = new PrintWriter(s, true);
    HelpFormatter help = HelpFormatter.builder().get();
    String syntax =
        "medvqa " + (job == null ? "<job>" : job.name()) + " [--config FILE] [--set key=value]...";
    StringBuilder footer = new StringBuilder();
    if (job == null) {
      footer.append("\njobs:\n");
      jobs.forEach(
          j -> footer.append(String.format(Locale.ROOT, "  %-18s %s%n", j.name(), j.summary())));
    } else {
      footer.append("\n").append(job.summary()).append("\n");
    }
    footer.append("\nSettings live in HOCON; see conf/ and each module's reference.conf.");
    footer.append("\nExit codes: 0 success, 1 job failure, 2 usage or configuration error.");
    help.printHelp(w, 100, syntax, "", options(), 2, 4, footer.toString());
    w.flush();
  }
}
