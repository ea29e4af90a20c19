// Chart rendering to RGBA rasters, written from scratch so reports need no chart library and
// the same code runs in the browser. PNG encoding is Node-side: see png-node.ts.
export { Raster, type Rect, type Rgb, type RgbaImage } from './plot/raster.js';
export { drawText, drawTextUp, fitText, fontCharacters, glyph, hasGlyph, textHeight, textWidth, GLYPH_DESCENT, GLYPH_H, GLYPH_W } from './plot/font.js';
export { niceTicks, formatTick, type Ticks } from './plot/ticks.js';
export { categoryColor, heatColor, luminance } from './plot/colors.js';
export type { ChartImage, LegendEntry } from './plot/frame.js';
export { lineChart, type LineChartOptions, type LineSeries } from './plot/line-chart.js';
export { scatterChart, type ScatterChartOptions, type ScatterPoint } from './plot/scatter-chart.js';
export { confusionMatrixChart, type ConfusionChartOptions } from './plot/confusion-chart.js';
