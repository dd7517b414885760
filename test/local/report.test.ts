import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleData } from '../../data/generator/write-world';
import { runPipeline } from '../../lambdas/local/run/run-pipeline';
import { launchChromium } from './report-browser';

let root: string;
let browser: Browser;
let report: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cdp-report-'));
  const world = path.join(root, 'world');
  await generateSampleData({ seed: 3, users: 300, interactions: 5_000, outDir: world });
  const summary = await runPipeline(world, {
    out: path.join(root, 'out'),
    run: 'r1',
    stages: ['ingest', 'preflight', 'segment', 'activate', 'score', 'sync', 'notify', 'report'],
    holdoutPercent: 10,
    maxBadShare: 0.05,
    phoneRegion: 'US',
    progress: false,
  });
  expect(summary.ok).toBe(true);
  report = path.join(summary.dir, 'report.html');
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await rm(root, { recursive: true, force: true });
});

describe('report.html', () => {
  it('renders in Chromium from disk with no console error and no network request', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('request', (request) => {
      if (!request.url().startsWith('file://')) problems.push(`request to ${request.url()}`);
    });

    await page.goto(`file://${report}`, { waitUntil: 'load' });

    expect(await page.title()).toBe('cdp-audiences run r1');
    expect(problems).toEqual([]);
  });

  it('draws every chart with its data points', async () => {
    const page = await browser.newPage();
    await page.goto(`file://${report}`);

    const charts = await page.$$eval('svg[data-chart]', (svgs) =>
      svgs.map((svg) => {
        const box = svg.getBoundingClientRect();
        // Bars are filled paths in ECharts' SVG; axis lines and the background are not filled.
        const bars = [...svg.querySelectorAll('path')].filter((p) => {
          const fill = p.getAttribute('fill');
          return (
            fill &&
            fill !== 'none' &&
            fill !== 'transparent' &&
            p.getBBox().height > 0 &&
            p.getBBox().width > 0
          );
        });
        return {
          id: svg.dataset['chart'],
          points: Number(svg.dataset['points']),
          bars: bars.length,
          width: box.width,
        };
      }),
    );

    expect(charts.map((c) => c.id)).toEqual(
      expect.arrayContaining([
        'data-quality',
        'identity-merges',
        'segment-sizes-genres',
        'segment-sizes-categories',
      ]),
    );
    for (const chart of charts) {
      expect(chart.points, chart.id).toBeGreaterThan(0);
      expect(chart.bars, chart.id).toBeGreaterThan(0);
      expect(chart.width, chart.id).toBeGreaterThan(300);
    }
  });
});
