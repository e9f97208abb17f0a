import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CombinedDomainCategoryPlot;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Draws the benchmark results as PNG charts (JFreeChart; run by ci/charts.sh):
 * <ul>
 * <li>clinical-scenarios.png: throughput and p99 per scenario of ci/bench-clinical.sh (bars, one bar per run);</li>
 * <li>clinical-timeline.png: latency (p50, p99) and throughput per second across the switch into and out of the
 * emergency state and the faults, with the events marked;</li>
 * <li>scale-replicas.png and scale-record-size.png: throughput and p99 against n and against the record size, from a
 * CSV of {@code bench,replicas,record_kib,throughput_ops_per_s,p99_ms} lines.</li>
 * </ul>
 * Arguments: output directory, scale CSV (or "-"), then one or more ci/bench-clinical.sh results directories (the
 * first one's timeline is drawn).
 */
public final class Charts {

    private static final int WIDTH = 1000;
    private static final Color[] PALETTE = {new Color(60, 110, 180), new Color(230, 140, 40), new Color(90, 160, 90),
            new Color(160, 80, 160)};
    private static final RectangleAnchor[] LABEL_AT = {RectangleAnchor.TOP_RIGHT, RectangleAnchor.RIGHT,
            RectangleAnchor.BOTTOM_RIGHT};

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        Files.createDirectories(out);
        List<Path> runs = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            runs.add(Path.of(args[i]));
        }
        if (!runs.isEmpty()) {
            scenarios(runs, out.resolve("clinical-scenarios.png"));
            if (Files.exists(runs.get(0).resolve("buckets.csv"))) {
                timeline(runs.get(0), out.resolve("clinical-timeline.png"));
            }
        }
        if (!args[1].equals("-")) {
            scale(Path.of(args[1]), out);
        }
    }

    private static void scenarios(List<Path> runs, Path png) throws IOException {
        DefaultCategoryDataset throughput = new DefaultCategoryDataset();
        DefaultCategoryDataset p99 = new DefaultCategoryDataset();
        String[] labels = System.getenv().getOrDefault("CHARTS_LABELS", "").split(",");
        for (int r = 0; r < runs.size(); r++) {
            for (String[] row : rows(runs.get(r).resolve("scenarios.csv"))) {
                String run = r < labels.length && !labels[r].isBlank() ? labels[r].strip() : "run " + (r + 1);
                throughput.addValue(Double.parseDouble(row[4]), run, row[0]);
                p99.addValue(Double.parseDouble(row[6]), run, row[0]);
            }
        }
        CombinedDomainCategoryPlot plot = new CombinedDomainCategoryPlot(new CategoryAxis("scenario"));
        plot.add(bars(throughput, "requests/s"), 1);
        plot.add(bars(p99, "p99 latency (ms)"), 1);
        plot.setFixedLegendItems(((CategoryPlot) plot.getSubplots().get(0)).getLegendItems());
        save(new JFreeChart("Clinical scenarios: throughput and p99 per API request", JFreeChart.DEFAULT_TITLE_FONT, plot, true),
                png, 620);
    }

    private static CategoryPlot bars(DefaultCategoryDataset data, String axis) {
        BarRenderer renderer = new BarRenderer();
        renderer.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator("{2}",
                java.text.NumberFormat.getIntegerInstance(Locale.ROOT)));
        renderer.setDefaultItemLabelsVisible(true);
        renderer.setShadowVisible(false);
        for (int i = 0; i < PALETTE.length; i++) {
            renderer.setSeriesPaint(i, PALETTE[i]);
        }
        renderer.setBarPainter(new org.jfree.chart.renderer.category.StandardBarPainter());
        CategoryPlot p = new CategoryPlot(data, null, new NumberAxis(axis), renderer);
        p.setBackgroundPaint(Color.WHITE);
        p.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return p;
    }

    private static void timeline(Path run, Path png) throws IOException {
        XYSeries p50 = new XYSeries("p50");
        XYSeries p99 = new XYSeries("p99");
        XYSeries ops = new XYSeries("requests answered/s");
        XYSeries errors = new XYSeries("failed/s (with those sent to a replica that is down)");
        XYSeries allowed = new XYSeries("probe reads without consent allowed/s (emergency)");
        for (String[] row : rows(run.resolve("buckets.csv"))) {
            double s = Double.parseDouble(row[1]);
            if (row[0].equals("timeline_probes")) {
                allowed.add(s, Double.parseDouble(row[2]));
            }
            if (!row[0].equals("timeline")) {
                continue;
            }
            ops.add(s, Double.parseDouble(row[2]));
            errors.add(s, Double.parseDouble(row[3]));
            boolean answered = Double.parseDouble(row[2]) > 0;
            p50.add(s, answered ? Double.valueOf(row[4]) : null); // a gap: nothing answered in that second
            p99.add(s, answered ? Double.valueOf(row[5]) : null);
        }
        org.jfree.chart.axis.LogAxis logMs = new org.jfree.chart.axis.LogAxis("latency (ms, log scale: ticks double)");
        logMs.setBase(10);
        logMs.setSmallestValue(10);
        logMs.setTickUnit(new org.jfree.chart.axis.NumberTickUnit(Math.log10(2), java.text.NumberFormat.getIntegerInstance(Locale.ROOT), 1));
        logMs.setNumberFormatOverride(java.text.NumberFormat.getIntegerInstance(Locale.ROOT));
        XYPlot latency = line(collection(p50, p99), "latency (ms)");
        latency.setRangeAxis(logMs);
        XYPlot rate = line(collection(ops, errors, allowed), "per second");
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(new NumberAxis("seconds since the start of the timeline"));
        plot.add(latency, 3);
        plot.add(rate, 2);
        Font small = new Font(Font.SANS_SERIF, Font.PLAIN, 10);
        int i = 0;
        for (String[] row : rows(run.resolve("events.csv"))) {
            double at = Double.parseDouble(row[1]);
            boolean view = row[2].contains(" in view ");
            for (XYPlot p : List.of(latency, rate)) {
                ValueMarker m = new ValueMarker(at, view ? new Color(150, 150, 150) : new Color(120, 40, 140),
                        new BasicStroke(view ? 0.8f : 1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                                view ? new float[] {3f, 3f} : null, 0f));
                if (p == latency && !view) {
                    m.setLabel(row[2]);
                    m.setLabelFont(small);
                    m.setLabelAnchor(LABEL_AT[i % LABEL_AT.length]);
                    m.setLabelTextAnchor(i % LABEL_AT.length == 2 ? TextAnchor.BOTTOM_LEFT : TextAnchor.TOP_LEFT);
                }
                p.addDomainMarker(m);
            }
            if (!view) {
                i++;
            }
        }
        save(new JFreeChart("Latency over time across the emergency switch and the faults"
                + " (solid: events; dashed: view changes)", new Font(Font.SANS_SERIF, Font.BOLD, 14), plot, true), png, 650);
    }

    private static XYSeriesCollection collection(XYSeries... series) {
        XYSeriesCollection c = new XYSeriesCollection();
        for (XYSeries s : series) {
            c.addSeries(s);
        }
        return c;
    }

    private static XYPlot line(XYSeriesCollection data, String axis) {
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
        XYPlot p = new XYPlot(data, null, new NumberAxis(axis), r);
        p.setBackgroundPaint(Color.WHITE);
        p.setRangeGridlinePaint(Color.LIGHT_GRAY);
        p.setDomainGridlinePaint(Color.LIGHT_GRAY);
        return p;
    }

    private static void scale(Path csv, Path out) throws IOException {
        DefaultCategoryDataset byN = new DefaultCategoryDataset();
        DefaultCategoryDataset byNp99 = new DefaultCategoryDataset();
        DefaultCategoryDataset bySize = new DefaultCategoryDataset();
        DefaultCategoryDataset bySizeP99 = new DefaultCategoryDataset();
        for (String[] row : rows(csv)) {
            String bench = row[0];
            String n = "n = " + row[1];
            String kib = row[2] + " KiB";
            double tput = Double.parseDouble(row[3]);
            double p99 = Double.parseDouble(row[4]);
            if (row[2].equals("1")) {
                byN.addValue(tput, bench, n);
                byNp99.addValue(p99, bench, n);
            }
            if (bench.equals("end-to-end") && row[1].equals("4")) {
                bySize.addValue(tput, "end-to-end, n = 4", kib);
                bySizeP99.addValue(p99, "end-to-end, n = 4", kib);
            }
        }
        CombinedDomainCategoryPlot plotN = new CombinedDomainCategoryPlot(new CategoryAxis("replicas"));
        plotN.add(bars(byN, "operations/s"), 1);
        plotN.add(bars(byNp99, "p99 (ms)"), 1);
        plotN.setFixedLegendItems(((CategoryPlot) plotN.getSubplots().get(0)).getLegendItems());
        save(new JFreeChart("Throughput and p99 against the number of replicas (1 KiB)", JFreeChart.DEFAULT_TITLE_FONT, plotN,
                true), out.resolve("scale-replicas.png"), 560);
        CombinedDomainCategoryPlot plotS = new CombinedDomainCategoryPlot(new CategoryAxis("record size"));
        plotS.add(bars(bySize, "writes/s"), 1);
        plotS.add(bars(bySizeP99, "p99 (ms)"), 1);
        plotS.setFixedLegendItems(((CategoryPlot) plotS.getSubplots().get(0)).getLegendItems());
        save(new JFreeChart("End-to-end writes against the record size", JFreeChart.DEFAULT_TITLE_FONT, plotS, true),
                out.resolve("scale-record-size.png"), 560);
    }

    private static void save(JFreeChart chart, Path png, int height) throws IOException {
        chart.setBackgroundPaint(Color.WHITE);
        ChartUtils.saveChartAsPNG(new File(png.toString()), chart, WIDTH, height);
        System.out.println("wrote " + png);
    }

    private static List<String[]> rows(Path csv) throws IOException {
        List<String[]> out = new ArrayList<>();
        List<String> lines = Files.readAllLines(csv);
        for (String line : lines.subList(1, lines.size())) {
            if (!line.isBlank()) {
                out.add(line.split(",", 3 + (csv.getFileName().toString().equals("events.csv") ? 0 : 10)));
            }
        }
        return out;
    }
}
