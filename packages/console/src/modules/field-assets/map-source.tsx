/**
 * "Map source": the built-in offline map of Lahore (default), or a tile
 * server's URL template, kept in this browser (see map/tiles.ts).
 */
import { useState } from 'react';
import { Alert } from '../../ui/feedback.tsx';
import { Field } from '../../ui/forms.tsx';
import { Modal } from '../../ui/modal.tsx';
import { useTileSetting } from './map/field-map.tsx';
import { isCrossOrigin, OFFLINE, tileTemplateProblem, writeTileSetting } from './map/tiles.ts';

export function MapSourceButton() {
  const setting = useTileSetting();
  const [open, setOpen] = useState(false);
  const [useTiles, setUseTiles] = useState(setting.kind === 'tiles');
  const [url, setUrl] = useState(setting.kind === 'tiles' ? setting.source.urlTemplate : '');
  const [attribution, setAttribution] = useState(setting.kind === 'tiles' ? setting.source.attribution : '');
  const [maxZoom, setMaxZoom] = useState(setting.kind === 'tiles' ? String(setting.source.maxZoom) : '19');
  const problem = useTiles ? tileTemplateProblem(url) : null;
  const zoom = Number(maxZoom);
  const zoomProblem = useTiles && (!Number.isInteger(zoom) || zoom < 1 || zoom > 22) ? 'a whole number from 1 to 22' : null;

  const openDialog = () => {
    setUseTiles(setting.kind === 'tiles');
    setUrl(setting.kind === 'tiles' ? setting.source.urlTemplate : '');
    setAttribution(setting.kind === 'tiles' ? setting.source.attribution : '');
    setMaxZoom(setting.kind === 'tiles' ? String(setting.source.maxZoom) : '19');
    setOpen(true);
  };
  const save = () => {
    writeTileSetting(useTiles ? { kind: 'tiles', source: { urlTemplate: url.trim(), attribution: attribution.trim(), maxZoom: zoom } } : OFFLINE);
    setOpen(false);
  };

  return (
    <>
      <button type="button" className="btn btn-secondary btn-sm" onClick={openDialog} data-testid="fa-map-source" title="Where the map background comes from">
        Map source: {setting.kind === 'tiles' ? 'tile server' : 'built-in (offline)'}
      </button>
      <Modal
        open={open}
        title="Map source"
        onClose={() => setOpen(false)}
        testId="fa-map-source-dialog"
        footer={
          <>
            <button type="button" className="btn btn-secondary" onClick={() => setOpen(false)}>
              Cancel
            </button>
            <button type="button" className="btn btn-primary" onClick={save} disabled={!!problem || !!zoomProblem} data-testid="fa-map-source-save">
              Save
            </button>
          </>
        }
      >
        <div className="form-stack">
          <label className="checkbox">
            <input type="radio" name="fa-map-source" checked={!useTiles} onChange={() => setUseTiles(false)} data-testid="fa-map-source-offline" />
            <span className="checkbox-text">
              <span className="checkbox-label">Built-in map of Lahore</span>
              <span className="checkbox-description">District outline and main roads, shipped with the console: works with no network at all.</span>
            </span>
          </label>
          <label className="checkbox">
            <input type="radio" name="fa-map-source" checked={useTiles} onChange={() => setUseTiles(true)} data-testid="fa-map-source-tiles" />
            <span className="checkbox-text">
              <span className="checkbox-label">The city&rsquo;s tile server</span>
              <span className="checkbox-description">Raster tiles from a URL template. If it does not answer, the built-in map is drawn instead.</span>
            </span>
          </label>
          {useTiles ? (
            <>
              <Field
                label="URL template"
                hint={
                  <>
                    with <code>{'{z}'}</code>, <code>{'{x}'}</code>, <code>{'{y}'}</code> (and optionally <code>{'{s}'}</code>), e.g.{' '}
                    <code>/tiles/{'{z}/{x}/{y}'}.png</code>
                  </>
                }
                value={url}
                onChange={(e) => setUrl(e.target.value)}
                error={url ? (problem ?? undefined) : undefined}
                testId="fa-map-source-url"
                autoComplete="off"
              />
              <Field
                label="Attribution"
                value={attribution}
                onChange={(e) => setAttribution(e.target.value)}
                maxLength={200}
                testId="fa-map-source-attribution"
              />
              <Field label="Maximum zoom" value={maxZoom} onChange={(e) => setMaxZoom(e.target.value)} error={zoomProblem ?? undefined} inputMode="numeric" />
              {url && !problem && isCrossOrigin(url) ? (
                <Alert tone="warning" testId="fa-map-source-csp">
                  These tiles come from another origin. The console&rsquo;s security policy loads images from this node only: serve the tiles under this
                  node&rsquo;s address (for example a reverse-proxy path <code>/tiles/</code>), or have the administrator add that origin to{' '}
                  <code>KOTWAL_TILE_ORIGINS</code>.
                </Alert>
              ) : null}
            </>
          ) : null}
          <p className="muted small">Kept in this browser only.</p>
        </div>
      </Modal>
    </>
  );
}
