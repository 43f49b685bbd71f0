package org.medvqa.synth;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Draws a {@link Scene} so that each answer is visible in the pixels and nothing else is:
 *
 * <ul>
 *   <li>modality sets the look of the whole image: CT is a smooth grey body on black air with a
 *       thin bright bone ring; MR a darker body with Rician background noise, a bias field and a
 *       high-contrast structure; ultrasound a speckled fan-shaped sector on black; a plain film a
 *       softly blurred bright-on-dark projection with a grey background and a radial gradient;
 *   <li>plane sets the orientation of the main structure's long axis: horizontal (axial), vertical
 *       (sagittal) or diagonal (coronal);
 *   <li>organ sets the main structure's shape: an oval with contents (skull), two parallel lobes
 *       (lung), a column of blocks (spine) or a winding tube (gastrointestinal);
 *   <li>the finding is a marked lesion on the structure: a dark disc with a bright rim (cyst), a
 *       larger lobulated disc brighter than the structure (mass), a dark zig-zag crack across it
 *       (fracture) or a cluster of tiny white dots (calcification).
 * </ul>
 *
 * <p>Position, size, angle, contrast, gain, noise and a few faint distracting blobs vary per image,
 * so that the rules must be learned from examples rather than read off a fixed pixel. All geometry
 * is in pixels of the output image; sizes are fractions of the image side so that any configured
 * size shows the same content.
 */
final class Renderer {
  private final int n;

  Renderer(int size) {
    this.n = size;
  }

  /** A signed distance in pixels: negative inside the shape, positive outside. */
  @FunctionalInterface
  private interface Sdf {
    double at(double x, double y);
  }

  /** A brightness that may vary over the shape (the plain film's radial gradient). */
  @FunctionalInterface
  private interface Level {
    double at(double x, double y);
  }

  BufferedImage render(Scene scene) {
    Rng g = new Rng(scene.renderSeed());
    double[] px = draw(scene, g);
    int[] grey = new int[n * n];
    for (int i = 0; i < grey.length; i++) {
      grey[i] = (int) StrictMath.round(StrictMath.max(0, StrictMath.min(255, px[i])));
    }
    if (!scene.rgb()) {
      BufferedImage image = new BufferedImage(n, n, BufferedImage.TYPE_BYTE_GRAY);
      image.getRaster().setSamples(0, 0, n, n, 0, grey);
      return image;
    }
    // Real RGB images in the release are mostly grey scans saved in colour; a faint tint makes the
    // three channels differ (as scanned film and screenshots do) without changing the content.
    double[] tint = {g.uniform(0.9, 1.0), g.uniform(0.9, 1.0), g.uniform(0.9, 1.0)};
    double max = StrictMath.max(tint[0], StrictMath.max(tint[1], tint[2]));
    BufferedImage image = new BufferedImage(n, n, BufferedImage.TYPE_INT_RGB);
    int[] rgb = new int[n * n];
    for (int i = 0; i < rgb.length; i++) {
      int r = (int) StrictMath.round(grey[i] * tint[0] / max);
      int gr = (int) StrictMath.round(grey[i] * tint[1] / max);
      int b = (int) StrictMath.round(grey[i] * tint[2] / max);
      rgb[i] = (r << 16) | (gr << 8) | b;
    }
    image.setRGB(0, 0, n, n, rgb, 0, n);
    return image;
  }

  /** Base grey levels of one modality, before the per-image contrast and gain jitter. */
  private record Style(double background, double body, double structure) {}

  private static Style style(Scene.Modality modality) {
    return switch (modality) {
      case CT -> new Style(0, 100, 175);
      case MR -> new Style(0, 55, 190);
      case US -> new Style(0, 66, 176);
      case XR -> new Style(25, 82, 200);
    };
  }

  /**
   * Where the body and the main structure lie and how the grey levels vary, drawn before any pixel.
   *
   * @param half half the length of the main structure
   * @param angle the main structure's long axis, in radians
   */
  private record Layout(
      double bodyX,
      double bodyY,
      double bodyRx,
      double bodyRy,
      double half,
      double cx,
      double cy,
      double angle,
      double contrast,
      double findingContrast,
      double gain,
      double offset,
      double noise) {}

  /** A lesion's centre. */
  private record Point(double x, double y) {}

  private double[] draw(Scene scene, Rng g) {
    // Geometry first, in a fixed order, so the same seed always gives the same picture.
    Layout at = layout(scene.plane(), g);

    Style st = style(scene.modality());
    double body = st.body() * g.uniform(0.9, 1.1);
    double structure = body + (st.structure() - st.body()) * at.contrast();
    double delta = structure - body;

    double[] px = new double[n * n];
    Sdf bodySdf = (x, y) -> ellipse(x - at.bodyX(), y - at.bodyY(), at.bodyRx(), at.bodyRy());
    drawBody(px, scene.modality(), st, at, bodySdf, body, g);
    drawClutter(px, at, body, delta, g);

    Sdf organ = drawOrgan(px, scene.organ(), at, structure, delta, g);

    if (scene.finding() != null) {
      drawFinding(px, scene.finding(), organ, at, body, structure, g);
    }

    Rng noiseRng = g.fork();
    switch (scene.modality()) {
      case CT -> finishCt(px, at, bodySdf, g, noiseRng);
      case MR -> finishMr(px, at, g, noiseRng);
      case US -> finishUs(px, at, g, noiseRng);
      case XR -> {
        // A projection has no sharp edges: everything is blurred by the focal spot and scatter.
        boxBlur(px);
        addGaussian(px, 2.5 * at.noise(), noiseRng);
      }
    }

    for (int i = 0; i < px.length; i++) {
      px[i] = px[i] * at.gain() + at.offset();
    }
    return px;
  }

  /** The per-image geometry and grey-level jitter, drawn in this order. */
  private Layout layout(Scene.Plane plane, Rng g) {
    double bodyX = n * (0.5 + g.uniform(-0.03, 0.03));
    double bodyY = n * (0.5 + g.uniform(-0.03, 0.03));
    double bodyRx = n * g.uniform(0.36, 0.42);
    double bodyRy = n * g.uniform(0.36, 0.42);
    double half = n * g.uniform(0.23, 0.31); // half the length of the main structure
    double cx = bodyX + n * g.uniform(-0.03, 0.03);
    double cy = bodyY + n * g.uniform(-0.03, 0.03);
    double sign = g.chance(0.5) ? 1 : -1; // coronal leans either way
    double degrees =
        (plane == Scene.Plane.CORONAL ? sign * 45 : plane.degrees) + g.uniform(-10, 10);
    double angle = StrictMath.toRadians(degrees);
    double contrast = g.uniform(0.7, 1.1);
    double findingContrast = g.uniform(0.75, 1.1);
    double gain = g.uniform(0.85, 1.15);
    double offset = g.uniform(-10, 10);
    double noise = g.uniform(0.7, 1.4);
    return new Layout(
        bodyX,
        bodyY,
        bodyRx,
        bodyRy,
        half,
        cx,
        cy,
        angle,
        contrast,
        findingContrast,
        gain,
        offset,
        noise);
  }

  /** The background and the body on it, as the modality shows them. */
  private void drawBody(
      double[] px, Scene.Modality modality, Style st, Layout at, Sdf bodySdf, double body, Rng g) {
    switch (modality) {
      case CT, MR -> {
        fill(px, st.background());
        paint(px, bodySdf, (x, y) -> body);
      }
      case US -> fill(px, body); // the fan mask below cuts the tissue out of black
      case XR -> {
        fill(px, st.background() * g.uniform(0.8, 1.2));
        // Thicker tissue in the middle of a projection stops more rays: brighter centre.
        paint(
            px,
            bodySdf,
            (x, y) -> {
              double k =
                  StrictMath.hypot((x - at.bodyX()) / at.bodyRx(), (y - at.bodyY()) / at.bodyRy());
              return body + 30 * (1 - StrictMath.min(1, k * k));
            });
      }
    }
  }

  /** Faint blobs of normal anatomy, low in contrast so they never look like the marked lesion. */
  private void drawClutter(double[] px, Layout at, double body, double delta, Rng g) {
    int clutter = 3 + g.nextInt(3);
    for (int i = 0; i < clutter; i++) {
      double a = g.uniform(0, 2 * StrictMath.PI);
      double r = StrictMath.sqrt(g.nextDouble()) * 0.8;
      double ex = at.bodyX() + r * at.bodyRx() * StrictMath.cos(a);
      double ey = at.bodyY() + r * at.bodyRy() * StrictMath.sin(a);
      double ea = n * g.uniform(0.03, 0.08);
      double eb = n * g.uniform(0.03, 0.08);
      double rot = g.uniform(0, StrictMath.PI);
      double level = body + delta * g.uniform(-0.2, 0.2);
      paint(px, rotated(ex, ey, rot, (u, v) -> ellipse(u, v, ea, eb)), (x, y) -> level);
    }
  }

  /** CT: a thin bright bone ring around the body, then Gaussian noise. */
  private void finishCt(double[] px, Layout at, Sdf bodySdf, Rng g, Rng noiseRng) {
    double ring = 215 * g.uniform(0.95, 1.05);
    double ringHalf = n * 0.009;
    paint(px, (x, y) -> StrictMath.abs(bodySdf.at(x, y)) - ringHalf, (x, y) -> ring);
    addGaussian(px, 3 * at.noise(), noiseRng);
  }

  /** MR: a bias field, then Rician noise. */
  private void finishMr(double[] px, Layout at, Rng g, Rng noiseRng) {
    // Receive-coil bias field: a gentle brightness slope across the image.
    double beta = g.uniform(0, 2 * StrictMath.PI);
    double slope = g.uniform(0.05, 0.15);
    for (int y = 0; y < n; y++) {
      for (int x = 0; x < n; x++) {
        double t =
            ((x - at.bodyX()) * StrictMath.cos(beta) + (y - at.bodyY()) * StrictMath.sin(beta)) / n;
        px[y * n + x] *= 1 + slope * 2 * t;
      }
    }
    addRician(px, 6 * at.noise(), noiseRng);
  }

  /** Ultrasound: attenuation with depth, speckle, the fan-shaped sector on black, then noise. */
  private void finishUs(double[] px, Layout at, Rng g, Rng noiseRng) {
    double apexX = n * (0.5 + g.uniform(-0.03, 0.03));
    double apexY = -n * g.uniform(0.04, 0.1);
    double halfAngle = StrictMath.toRadians(g.uniform(36, 42));
    double outer = n * g.uniform(1.0, 1.1);
    double inner = n * 0.12;
    for (int y = 0; y < n; y++) {
      for (int x = 0; x < n; x++) {
        // The beam loses energy with depth.
        double depth = StrictMath.hypot(x + 0.5 - apexX, y + 0.5 - apexY) / outer;
        px[y * n + x] *= 1 - 0.35 * depth;
      }
    }
    addSpeckle(px, 0.3 * StrictMath.min(at.noise(), 1.2), noiseRng);
    Sdf fan =
        (x, y) -> {
          double dx = x - apexX;
          double dy = y - apexY;
          double r = StrictMath.hypot(dx, dy);
          double off = StrictMath.abs(StrictMath.atan2(dx, dy)) - halfAngle;
          double side =
              r
                  * StrictMath.sin(
                      StrictMath.max(-StrictMath.PI / 2, StrictMath.min(StrictMath.PI / 2, off)));
          return StrictMath.max(side, StrictMath.max(r - outer, inner - r));
        };
    for (int y = 0; y < n; y++) {
      for (int x = 0; x < n; x++) {
        px[y * n + x] *= coverage(fan.at(x + 0.5, y + 0.5));
      }
    }
    addGaussian(px, 1.5, noiseRng);
  }

  /**
   * Paints the organ's shape along the plane's axis and returns its outline for lesion placement.
   */
  private Sdf drawOrgan(
      double[] px, Scene.Organ organ, Layout at, double structure, double delta, Rng g) {
    return switch (organ) {
      case SKULL -> drawSkull(px, at, structure, delta, g);
      case LUNG -> drawLung(px, at, structure, g);
      case SPINE -> drawSpine(px, at, structure, g);
      case GI -> drawGi(px, at, structure, delta, g);
    };
  }

  /** A shape given in the (u along the axis, v across it) frame of the main structure. */
  private static Sdf alongAxis(Layout at, Sdf local) {
    return rotated(at.cx(), at.cy(), at.angle(), local);
  }

  private Sdf drawSkull(double[] px, Layout at, double structure, double delta, Rng g) {
    double half = at.half();
    double b = half * g.uniform(0.54, 0.62);
    Sdf outer = alongAxis(at, (u, v) -> ellipse(u, v, half, b));
    paint(px, outer, (x, y) -> structure);
    // The contents are a little darker than the vault around them.
    double contents = structure - 0.15 * delta;
    paint(px, alongAxis(at, (u, v) -> ellipse(u, v, half * 0.84, b * 0.78)), (x, y) -> contents);
    return outer;
  }

  private Sdf drawLung(double[] px, Layout at, double structure, Rng g) {
    double half = at.half();
    double a1 = half * g.uniform(0.9, 1.0);
    double a2 = half * g.uniform(0.9, 1.0);
    double b = half * g.uniform(0.19, 0.23);
    double gap = half * g.uniform(0.29, 0.33);
    Sdf lobes =
        alongAxis(
            at, (u, v) -> StrictMath.min(ellipse(u, v - gap, a1, b), ellipse(u, v + gap, a2, b)));
    paint(px, lobes, (x, y) -> structure);
    return lobes;
  }

  private Sdf drawSpine(double[] px, Layout at, double structure, Rng g) {
    double half = at.half();
    int count = 5 + g.nextInt(2);
    double pitch = 2 * half / count;
    double hu = pitch * g.uniform(0.3, 0.34);
    double hv = half * g.uniform(0.23, 0.28);
    double corner = StrictMath.min(hu, hv) * 0.3;
    Sdf blocks =
        alongAxis(
            at,
            (u, v) -> {
              double d = Double.MAX_VALUE;
              for (int k = 0; k < count; k++) {
                double uk = -half + pitch * (k + 0.5);
                d = StrictMath.min(d, roundedBox(u - uk, v, hu, hv, corner));
              }
              return d;
            });
    paint(px, blocks, (x, y) -> structure);
    return blocks;
  }

  private Sdf drawGi(double[] px, Layout at, double structure, double delta, Rng g) {
    double half = at.half();
    double amplitude = half * g.uniform(0.17, 0.24);
    double waves = g.uniform(1.2, 1.8);
    double phase = g.uniform(0, 2 * StrictMath.PI);
    double width = half * g.uniform(0.1, 0.12);
    int points = 48;
    double[] us = new double[points];
    double[] vs = new double[points];
    for (int k = 0; k < points; k++) {
      us[k] = -half + 2 * half * k / (points - 1);
      vs[k] = amplitude * StrictMath.sin(StrictMath.PI * waves * us[k] / half + phase);
    }
    Sdf tube = alongAxis(at, (u, v) -> polyline(u, v, us, vs) - width);
    paint(px, tube, (x, y) -> structure);
    // A darker lumen along the middle makes it a tube rather than a rope.
    double lumen = structure - 0.3 * delta;
    double lumenWidth = width * 0.32;
    paint(px, alongAxis(at, (u, v) -> polyline(u, v, us, vs) - lumenWidth), (x, y) -> lumen);
    return tube;
  }

  private void drawFinding(
      double[] px,
      Scene.Finding finding,
      Sdf organ,
      Layout at,
      double body,
      double structure,
      Rng g) {
    Point f = lesionCentre(organ, at, g);
    double contrast = at.findingContrast();
    switch (finding) {
      case MASS -> drawMass(px, f, structure + 60 * contrast, g);
      case CYST -> drawCyst(px, f, body, structure + 40 * contrast, g);
      case FRACTURE -> drawFracture(px, f, organ, at.angle(), body, g);
      case CALCIFICATION -> drawCalcification(px, f, g);
    }
  }

  /** Puts the lesion on the structure: the first random point well inside it, else its centre. */
  private Point lesionCentre(Sdf organ, Layout at, Rng g) {
    double cos = StrictMath.cos(at.angle());
    double sin = StrictMath.sin(at.angle());
    for (int attempt = 0; attempt < 64; attempt++) {
      double u = g.uniform(-0.8, 0.8) * at.half();
      double v = g.uniform(-0.5, 0.5) * at.half();
      double x = at.cx() + u * cos - v * sin;
      double y = at.cy() + u * sin + v * cos;
      if (organ.at(x, y) < -0.02 * n) {
        return new Point(x, y);
      }
    }
    return new Point(at.cx(), at.cy());
  }

  private void drawMass(double[] px, Point f, double level, Rng g) {
    double fx = f.x();
    double fy = f.y();
    double r = n * g.uniform(0.065, 0.1);
    double phase3 = g.uniform(0, 2 * StrictMath.PI);
    double phase5 = g.uniform(0, 2 * StrictMath.PI);
    paint(
        px,
        (x, y) -> {
          double t = StrictMath.atan2(y - fy, x - fx);
          double rt =
              r
                  * (1
                      + 0.12 * StrictMath.sin(3 * t + phase3)
                      + 0.06 * StrictMath.sin(5 * t + phase5));
          return StrictMath.hypot(x - fx, y - fy) - rt;
        },
        (x, y) -> level);
  }

  private void drawCyst(double[] px, Point f, double body, double rim, Rng g) {
    double fx = f.x();
    double fy = f.y();
    double r = n * g.uniform(0.045, 0.075);
    double inside = body * 0.25;
    double rimHalf = StrictMath.max(0.6, n * 0.005);
    paint(px, (x, y) -> StrictMath.hypot(x - fx, y - fy) - r, (x, y) -> inside);
    paint(
        px,
        (x, y) -> StrictMath.abs(StrictMath.hypot(x - fx, y - fy) - r) - rimHalf,
        (x, y) -> rim);
  }

  private void drawFracture(double[] px, Point f, Sdf organ, double angle, double body, Rng g) {
    // Across the structure, like a crack through bone.
    double a = angle + StrictMath.PI / 2 + StrictMath.toRadians(g.uniform(-25, 25));
    double length = n * g.uniform(0.22, 0.32);
    int segments = 6;
    double[] xs = new double[segments + 1];
    double[] ys = new double[segments + 1];
    for (int k = 0; k <= segments; k++) {
      double t = (k / (double) segments - 0.5) * length;
      double jog = (k == 0 || k == segments) ? 0 : g.uniform(-0.018, 0.018) * n;
      xs[k] = f.x() + t * StrictMath.cos(a) - jog * StrictMath.sin(a);
      ys[k] = f.y() + t * StrictMath.sin(a) + jog * StrictMath.cos(a);
    }
    double width = StrictMath.max(1.0, n * 0.011);
    double level = body * 0.3;
    // A crack stays in the bone: clip it to the structure and a thin margin around it.
    double margin = 0.03 * n;
    paint(
        px,
        (x, y) -> StrictMath.max(polyline(x, y, xs, ys) - width, organ.at(x, y) - margin),
        (x, y) -> level);
  }

  private void drawCalcification(double[] px, Point f, Rng g) {
    // Separate dots, so that even slightly blurred they read as a cluster and not one blob.
    int dots = 4 + g.nextInt(4);
    double spread = n * g.uniform(0.05, 0.08);
    List<double[]> centres = new ArrayList<>();
    for (int attempt = 0; attempt < 200 && centres.size() < dots; attempt++) {
      double a = g.uniform(0, 2 * StrictMath.PI);
      double r = StrictMath.sqrt(g.nextDouble()) * spread;
      double radius = StrictMath.max(1.0, n * g.uniform(0.013, 0.019));
      double x = f.x() + r * StrictMath.cos(a);
      double y = f.y() + r * StrictMath.sin(a);
      boolean apart = true;
      for (double[] c : centres) {
        apart &= StrictMath.hypot(x - c[0], y - c[1]) > 2.5 * (radius + c[2]);
      }
      if (apart) {
        centres.add(new double[] {x, y, radius});
      }
    }
    paint(
        px,
        (x, y) -> {
          double d = Double.MAX_VALUE;
          for (double[] c : centres) {
            d = StrictMath.min(d, StrictMath.hypot(x - c[0], y - c[1]) - c[2]);
          }
          return d;
        },
        (x, y) -> 255);
  }

  // ---- painting --------------------------------------------------------------------------------

  private static void fill(double[] px, double level) {
    Arrays.fill(px, level);
  }

  /** Blends the level into the pixels the shape covers, with a one-pixel soft edge. */
  private void paint(double[] px, Sdf sdf, Level level) {
    for (int y = 0; y < n; y++) {
      for (int x = 0; x < n; x++) {
        double cx = x + 0.5;
        double cy = y + 0.5;
        double a = coverage(sdf.at(cx, cy));
        if (a > 0) {
          int i = y * n + x;
          px[i] = px[i] * (1 - a) + level.at(cx, cy) * a;
        }
      }
    }
  }

  private static double coverage(double distance) {
    return StrictMath.max(0, StrictMath.min(1, 0.5 - distance));
  }

  /** A shape given in the (u along the axis, v across it) frame of a structure at (cx, cy). */
  private static Sdf rotated(double cx, double cy, double angle, Sdf local) {
    double cos = StrictMath.cos(angle);
    double sin = StrictMath.sin(angle);
    return (x, y) -> {
      double dx = x - cx;
      double dy = y - cy;
      return local.at(dx * cos + dy * sin, -dx * sin + dy * cos);
    };
  }

  // ---- distance functions ----------------------------------------------------------------------

  /** Approximate signed distance to an axis-aligned ellipse (first-order, good near the edge). */
  private static double ellipse(double u, double v, double a, double b) {
    double k = StrictMath.hypot(u / a, v / b);
    double grad = StrictMath.hypot(u / (a * a), v / (b * b));
    if (grad == 0) {
      return -StrictMath.min(a, b);
    }
    return k * (k - 1) / grad;
  }

  private static double roundedBox(double u, double v, double hu, double hv, double r) {
    double qx = StrictMath.abs(u) - hu + r;
    double qy = StrictMath.abs(v) - hv + r;
    return StrictMath.hypot(StrictMath.max(qx, 0), StrictMath.max(qy, 0))
        + StrictMath.min(StrictMath.max(qx, qy), 0)
        - r;
  }

  /** Unsigned distance from (x, y) to the polyline through the given points. */
  private static double polyline(double x, double y, double[] xs, double[] ys) {
    double best = Double.MAX_VALUE;
    for (int k = 0; k + 1 < xs.length; k++) {
      double ax = xs[k];
      double ay = ys[k];
      double bx = xs[k + 1] - ax;
      double by = ys[k + 1] - ay;
      double len2 = bx * bx + by * by;
      double t = len2 == 0 ? 0 : ((x - ax) * bx + (y - ay) * by) / len2;
      t = StrictMath.max(0, StrictMath.min(1, t));
      best = StrictMath.min(best, StrictMath.hypot(x - ax - t * bx, y - ay - t * by));
    }
    return best;
  }

  // ---- noise and filters -----------------------------------------------------------------------

  private static void addGaussian(double[] px, double sigma, Rng rng) {
    for (int i = 0; i < px.length; i++) {
      px[i] += sigma * rng.gaussian();
    }
  }

  /** Magnitude of complex Gaussian noise, as MR magnitude images have: dark areas stay positive. */
  private static void addRician(double[] px, double sigma, Rng rng) {
    for (int i = 0; i < px.length; i++) {
      double re = px[i] + sigma * rng.gaussian();
      double im = sigma * rng.gaussian();
      px[i] = StrictMath.sqrt(re * re + im * im);
    }
  }

  /**
   * Multiplicative speckle with a grain of about two pixels, drawn at half resolution and
   * interpolated, because ultrasound speckle is coarser than a pixel.
   */
  private void addSpeckle(double[] px, double strength, Rng rng) {
    int m = n / 2 + 2;
    double[] field = new double[m * m];
    for (int i = 0; i < field.length; i++) {
      field[i] = rng.gaussian();
    }
    for (int y = 0; y < n; y++) {
      double fy = y / 2.0;
      int y0 = (int) fy;
      double ty = fy - y0;
      for (int x = 0; x < n; x++) {
        double fx = x / 2.0;
        int x0 = (int) fx;
        double tx = fx - x0;
        double s =
            (1 - ty) * ((1 - tx) * field[y0 * m + x0] + tx * field[y0 * m + x0 + 1])
                + ty * ((1 - tx) * field[(y0 + 1) * m + x0] + tx * field[(y0 + 1) * m + x0 + 1]);
        px[y * n + x] *= StrictMath.max(0, 1 + strength * s);
      }
    }
  }

  /** 3x3 box blur with clamped edges. */
  private void boxBlur(double[] px) {
    double[] tmp = new double[px.length];
    for (int y = 0; y < n; y++) {
      for (int x = 0; x < n; x++) {
        double s = 0;
        for (int d = -1; d <= 1; d++) {
          s += px[y * n + StrictMath.max(0, StrictMath.min(n - 1, x + d))];
        }
        tmp[y * n + x] = s / 3;
      }
    }
    for (int y = 0; y < n; y++) {
      for (int x = 0; x < n; x++) {
        double s = 0;
        for (int d = -1; d <= 1; d++) {
          s += tmp[StrictMath.max(0, StrictMath.min(n - 1, y + d)) * n + x];
        }
        px[y * n + x] = s / 3;
      }
    }
  }
}
