/* LSTMVis-Dash: clicks on figures that ask the page to show a range (the navigation channel).
 * - the match matrix (lstmvis_dash/ui/match_figures.py): a click on a row shows that match in the
 *   select view; a click on its "use" cell makes it the hypothesis (layout.meta: rows, row_h, dataset);
 *   its words, ranks and "use" labels are drawn on a canvas (LV.drawCanvasText), not as SVG text;
 * - the projection (projection_figures.py): a click on a point shows its range; "use" adopts it with
 *   no padding, as its pattern was computed (customdata [start, stop], layout.meta.dataset).
 */
(function () {
    'use strict';
    var LV = window.LV;

    LV.bind('[data-lv-matches]', function (gd) {
        LV.drawCanvasText(gd);
        gd.on('plotly_afterplot', function () { LV.drawCanvasText(gd); });
        gd.on('plotly_click', function (ev) {
            var pt = ev && ev.points && ev.points[0], m = (gd.layout && gd.layout.meta) || {};
            if (!pt || !m.rows || !m.row_h || typeof pt.y !== 'number') { return; }
            var row = m.rows[Math.floor(pt.y / m.row_h)];
            if (!row) { return; }
            LV.navigate({dataset: m.dataset, start: row[0], stop: row[1],
                         use: !!(pt.data && pt.data.name === 'use')});
        });
    });

    LV.bind('[data-lv-nav-points]', function (gd) {
        gd.on('plotly_click', function (ev) {
            var pt = ev && ev.points && ev.points[0], m = (gd.layout && gd.layout.meta) || {};
            var c = pt && pt.customdata;
            if (!c || c.length < 2) { return; }
            LV.navigate({dataset: m.dataset, start: c[0], stop: c[1], use: false, pad: [0, 0]});
        });
    });
})();
