package org.medvqa.eval.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.medvqa.core.EpochMetrics;

/**
 * The report's charts, drawn with JFreeChart into PNG streams: flat colours on white, so that they
 * print and compare well, and nothing that needs a display (AWT in headless mode is enough).
 */
final class Charts {
  /** Series colours: colour-blind-safe (Okabe-Ito) blue, orange, green, and grey for the rest. */
  static final Color BLUE = new Color(0x00, 0x72, 0xB2);

  static final Color ORANGE = new Color(0xE6, 0x9F, 0x00);
  static final Color GREEN = new Color(0x00, 0x9E, 0x73);
  static final Color GREY = new Color(0x99, 0x99, 0x99);
  private static final Color GRID = new Color(0xDD, 0xDD, 0xDD);

  private Charts() {}

  /**
   * Training and validation loss per epoch, with the kept epoch (the last best one) marked.
   *
   * @return whether a chart was drawn (false when no epoch has a loss)
   */
  static boolean losses(List<EpochMetrics> epochs, OutputStream out, int width, int height)
      throws IOException {
    XYSeries train = new XYSeries("training loss");
    XYSeries validation = new XYSeries("validation loss");
    for (EpochMetrics e : epochs) {
      if (Double.isFinite(e.trainLoss())) {
        train.add(e.epoch(), e.trainLoss());
      }
      if (Double.isFinite(e.validationLoss())) {
        validation.add(e.epoch(), e.validationLoss());
      }
    }
    if (train.isEmpty() && validation.isEmpty()) {
      return false;
    }
    XYSeriesCollection data = new XYSeriesCollection();
    data.addSeries(train);
    data.addSeries(validation);
    JFreeChart chart = lineChart("Loss per epoch", "loss", data, epochs);
    ChartUtils.writeChartAsPNG(out, chart, width, height);
    return true;
  }

  /**
   * The validation metric per epoch (accuracy, or the negated loss VQG models are selected by).
   *
   * @return whether a chart was drawn
   */
  static boolean validationScore(List<EpochMetrics> epochs, OutputStream out, int width, int height)
      throws IOException {
    String metric = epochs.isEmpty() ? "" : epochs.get(epochs.size() - 1).metric();
    XYSeries score = new XYSeries("validation " + metric);
    for (EpochMetrics e : epochs) {
      if (Double.isFinite(e.validationScore())) {
        score.add(e.epoch(), e.validationScore());
      }
    }
    if (score.isEmpty()) {
      return false;
    }
    XYSeriesCollection data = new XYSeriesCollection(score);
    JFreeChart chart = lineChart("Validation " + metric + " per epoch", metric, data, epochs);
    XYLineAndShapeRenderer r = (XYLineAndShapeRenderer) chart.getXYPlot().getRenderer();
    r.setSeriesPaint(0, GREEN);
    ChartUtils.writeChartAsPNG(out, chart, width, height);
    return true;
  }

  /**
   * Accuracy and BLEU per question category.
   *
   * @return whether a chart was drawn (false without categories)
   */
  static boolean categories(
      Map<String, RunMetrics.Score> perCategory, OutputStream out, int width, int height)
      throws IOException {
    if (perCategory.isEmpty()) {
      return false;
    }
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    perCategory.forEach(
        (category, s) -> {
          data.addValue(finiteOrNull(s.accuracy()), "accuracy", category);
          data.addValue(finiteOrNull(s.bleu()), "BLEU", category);
        });
    JFreeChart chart =
        ChartFactory.createBarChart(
            "Scores per question category",
            "category",
            "score",
            data,
            PlotOrientation.VERTICAL,
            true,
            false,
            false);
    CategoryPlot plot = flat(chart.getCategoryPlot());
    plot.getRangeAxis().setRange(0, 1);
    BarRenderer r = (BarRenderer) plot.getRenderer();
    flat(r);
    r.setSeriesPaint(0, BLUE);
    r.setSeriesPaint(1, ORANGE);
    ChartUtils.writeChartAsPNG(out, chart, width, height);
    return true;
  }

  /**
   * The leaderboard as horizontal bars of the main metric, this run in orange and the others in
   * blue.
   *
   * @return whether a chart was drawn (false when no run is ranked)
   */
  static boolean leaderboard(
      Leaderboard board, org.apache.hadoop.fs.Path thisRun, OutputStream out, int width, int height)
      throws IOException {
    List<Leaderboard.Entry> entries =
        board.entries().stream().filter(e -> Double.isFinite(e.metrics().main())).toList();
    if (entries.isEmpty()) {
      return false;
    }
    String metric = entries.get(0).metrics().mainName();
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    for (Leaderboard.Entry e : entries) {
      data.addValue(e.metrics().main(), metric, e.name());
    }
    JFreeChart chart =
        ChartFactory.createBarChart(
            "Leaderboard (" + metric + ")",
            "run",
            metric,
            data,
            PlotOrientation.HORIZONTAL,
            false,
            false,
            false);
    CategoryPlot plot = flat(chart.getCategoryPlot());
    plot.getRangeAxis().setRange(0, 1);
    BarRenderer r =
        new BarRenderer() {
          @Override
          public Paint getItemPaint(int row, int column) {
            return entries.get(column).path().equals(thisRun) ? ORANGE : BLUE;
          }
        };
    flat(r);
    plot.setRenderer(r);
    ChartUtils.writeChartAsPNG(out, chart, width, height);
    return true;
  }

  private static JFreeChart lineChart(
      String title, String yLabel, XYSeriesCollection data, List<EpochMetrics> epochs) {
    JFreeChart chart =
        ChartFactory.createXYLineChart(
            title, "epoch", yLabel, data, PlotOrientation.VERTICAL, true, false, false);
    XYPlot plot = chart.getXYPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(GRID);
    plot.setRangeGridlinePaint(GRID);
    NumberAxis x = (NumberAxis) plot.getDomainAxis();
    x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
    r.setSeriesPaint(0, BLUE);
    r.setSeriesPaint(1, ORANGE);
    r.setSeriesStroke(0, new BasicStroke(2f));
    r.setSeriesStroke(1, new BasicStroke(2f));
    plot.setRenderer(r);
    int kept = keptEpoch(epochs);
    if (kept > 0) {
      // The label goes below the title, not on the marker: the curves end where a marker label
      // would sit (losses low at the right, scores high).
      plot.addDomainMarker(
          new ValueMarker(
              kept,
              GREY,
              new BasicStroke(
                  1.5f,
                  BasicStroke.CAP_BUTT,
                  BasicStroke.JOIN_MITER,
                  1f,
                  new float[] {5f, 4f},
                  0f)));
      TextTitle note = new TextTitle("dashed line: epoch " + kept + ", the model kept");
      note.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
      note.setPaint(Color.DARK_GRAY);
      chart.addSubtitle(note);
    }
    chart.setBackgroundPaint(Color.WHITE);
    return chart;
  }

  /** The epoch whose model was kept: the last one marked best (0 when none is). */
  static int keptEpoch(List<EpochMetrics> epochs) {
    int kept = 0;
    for (EpochMetrics e : epochs) {
      if (e.best()) {
        kept = e.epoch();
      }
    }
    return kept;
  }

  private static CategoryPlot flat(CategoryPlot plot) {
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(GRID);
    CategoryAxis axis = plot.getDomainAxis();
    axis.setCategoryLabelPositions(CategoryLabelPositions.STANDARD);
    axis.setMaximumCategoryLabelLines(2);
    return plot;
  }

  private static void flat(BarRenderer r) {
    r.setBarPainter(new StandardBarPainter());
    r.setShadowVisible(false);
    r.setDrawBarOutline(false);
    r.setMaximumBarWidth(0.12);
  }

  private static Double finiteOrNull(double v) {
    return Double.isFinite(v) ? v : null;
  }
}
