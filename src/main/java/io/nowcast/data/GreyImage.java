package io.nowcast.data;

/**
 * A grey image: {@code width x height} pixels in [0, 1], row-major ({@code pixels[y * width + x]}).
 * The array is the image's own (not copied); callers that change it own the consequences.
 */
public record GreyImage(int width, int height, float[] pixels) {
    public GreyImage {
        if (width <= 0 || height <= 0 || pixels == null || pixels.length != width * height) {
            throw new IllegalArgumentException("a grey image of " + width + "x" + height + " needs " + width * height
                    + " pixels, found " + (pixels == null ? "none" : pixels.length));
        }
    }

    /** The pixel at column x, row y. */
    public float at(int x, int y) {
        return pixels[y * width + x];
    }

    /** The top-left {@code w x h} part of this image, copied. */
    public GreyImage crop(int x0, int y0, int w, int h) {
        if (x0 < 0 || y0 < 0 || w <= 0 || h <= 0 || x0 + w > width || y0 + h > height) {
            throw new IllegalArgumentException("crop " + w + "x" + h + " at (" + x0 + ", " + y0 + ") of a "
                    + width + "x" + height + " image");
        }
        float[] p = new float[w * h];
        for (int y = 0; y < h; y++) {
            System.arraycopy(pixels, (y0 + y) * width + x0, p, y * w, w);
        }
        return new GreyImage(w, h, p);
    }
}
