/* LSTMVis-Dash: clicks on figures that ask the page to show a range (the navigation channel).
 * - the match matrix (lstmvis_dash/ui/match_figures.py): a click on a row shows that match in the
 *   select view; a click on its "use" box makes it the hypothesis (layout.meta: rows, row_h, dataset);
 *   the boxes, like the bricks (and the colour bar), are canvas-drawn, so their hover and click are
 *   handled here;
 *   its words, ranks and "use" labels are drawn on a canvas (LV.drawCanvasText), not as SVG text,
 *   its bricks on a canvas under the plot (LV.drawCanvasHeatmaps), so the hover of a brick is shown here;
 * - the projection (projection_figures.py): a click on a point shows its range; "use" adopts it with
 *   no padding, as its pattern was computed (customdata [start, stop], layout.meta.dataset).
 */
(function () {
    'use strict';
    var LV = window.LV;

    /* the brick under the mouse of the matrix (its heatmaps are drawn on a canvas, so plotly does not
       hover or click them): [row of the matches or -1, trace, z row, column] */
    function brickAt(gd, e) {
        var fl = gd._fullLayout, m = (gd.layout && gd.layout.meta) || {}, r = gd.getBoundingClientRect();
        if (!fl || !fl.xaxis || !m.row_h) { return null; }
        var px = e.clientX - r.left - fl.xaxis._offset, py = e.clientY - r.top - fl.yaxis._offset;
        var x = fl.xaxis.p2l(px), y = fl.yaxis.p2l(py);
        if (!(y >= 0)) { return null; }
        var use = (gd.data || []).filter(function (t) { return t.name === 'use' && t.marker; })[0];
        if (use) {   // on a row's "use" box?
            var half = (use.marker.size || 10) / 2, k = Math.floor(y / m.row_h), ux = LV.decoded(use.x), uy = LV.decoded(use.y);
            if (k < ux.length && Math.abs(px - fl.xaxis.l2p(ux[k])) <= half && Math.abs(py - fl.yaxis.l2p(uy[k])) <= half) {
                return {row: k, use: true, brick: null};
            }
        }
        if (!(x >= -0.5)) { return null; }
        var col = Math.round(x), hit = null;
        (gd.data || []).forEach(function (t) {
            if (hit || t.meta !== 'lv-canvas-heatmap' || !Array.isArray(t.z)) { return; }
            var ys = LV.decoded(t.y);
            for (var k = 0; k + 1 < ys.length; k++) {
                if (y >= Math.min(ys[k], ys[k + 1]) && y < Math.max(ys[k], ys[k + 1])) {
                    var v = t.z[k] && t.z[k][col];
                    if (v !== null && v !== undefined && isFinite(v)) { hit = {trace: t, zrow: k, col: col}; }
                    return;
                }
            }
        });
        return {row: Math.floor(y / m.row_h), brick: hit};
    }
    function tip(gd) {
        var box = gd.parentElement, el = box.querySelector('.lv-matrix-tip');
        if (!el) { el = document.createElement('div'); el.className = 'lv-matrix-tip'; box.appendChild(el); }
        return el;
    }

    LV.bind('[data-lv-matches]', function (gd) {
        function drawn() { LV.drawCanvasHeatmaps(gd); LV.drawCanvasText(gd); LV.drawCanvasColorbars(gd); }
        drawn();
        gd.on('plotly_afterplot', drawn);
        gd.addEventListener('click', function (e) {   // a row: show that match; its "use" box: adopt it
            var at = brickAt(gd, e), m = (gd.layout && gd.layout.meta) || {}, row = at && m.rows && m.rows[at.row];
            if (row) { LV.navigate({dataset: m.dataset, start: row[0], stop: row[1], use: !!at.use}); }
        });
        var frame = null, last = null;
        gd.addEventListener('mousemove', function (e) {
            last = e;
            if (frame) { return; }
            frame = requestAnimationFrame(function () {
                frame = null;
                var at = brickAt(gd, last), b = at && at.brick, el = tip(gd);
                var text = at && at.use ? 'use match ' + (at.row + 1) + ' as the hypothesis' :
                    b && b.trace.text && b.trace.text[b.zrow] && b.trace.text[b.zrow][b.col];
                if (!text) { el.style.display = 'none'; return; }
                var box = gd.parentElement.getBoundingClientRect();
                el.textContent = LV.literal(text);
                el.style.display = 'block';
                el.style.left = (last.clientX - box.left + gd.parentElement.scrollLeft + 12) + 'px';
                el.style.top = (last.clientY - box.top + 14) + 'px';
            });
        });
        gd.addEventListener('mouseleave', function () { tip(gd).style.display = 'none'; });
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
