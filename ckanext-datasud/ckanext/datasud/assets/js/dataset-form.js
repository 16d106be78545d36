/* DataSud: the dataset form's « Couverture géographique » section (an enhancement: without
 * JavaScript the fields are typed in).
 *
 * - The area picker: a commune, EPCI, département or the region, found by name or code in
 *   /datasud/territoires.json (the region's territories, from the repository), fills the
 *   level, the code (INSEE or SIREN) and the name, and the extent when its bounding box is
 *   known (the map then shows it).
 * - The map (Leaflet and leaflet.draw vendored by ckanext-spatial, the portal's base map):
 *   a rectangle or polygon drawn on it becomes the extent (the GeoJSON field, kept folded
 *   for experts); a GeoJSON typed there is shown on the map.
 *
 * Messages come translated from the template (data-module-messages).
 */
this.ckan.module('datasud-dataset-form', function ($) {
  'use strict';

  function normalise(text) {
    return (text || '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().trim();
  }

  function bboxPolygon(b) {
    return {type: 'Polygon', coordinates: [[[b[0], b[1]], [b[2], b[1]], [b[2], b[3]], [b[0], b[3]], [b[0], b[1]]]]};
  }

  function rounded(geometry) {
    return JSON.parse(JSON.stringify(geometry, function (key, value) {
      return typeof value === 'number' ? Math.round(value * 1e5) / 1e5 : value;
    }));
  }

  return {
    options: {territories: null, messages: {}},

    initialize: function () {
      var self = this;
      var section = this.el[0];
      var form = section.closest('form');
      this.fields = {
        level: form.querySelector('#field-spatial_level'),
        code: form.querySelector('#field-spatial_code'),
        name: form.querySelector('#field-spatial_text'),
        geojson: form.querySelector('#field-spatial')
      };
      this.messages = this.options.messages || {};
      this.picker = section.querySelector('.datasud-territory-picker');
      this.input = section.querySelector('#datasud-territory');
      this.list = section.querySelector('#datasud-territory-list');
      this.status = section.querySelector('#datasud-territory-status');
      this.extent = section.querySelector('.datasud-extent');
      this.byLabel = {};
      this.departements = {};

      if (this.picker && this.input) {
        this.picker.hidden = false;
        this.input.addEventListener('input', function () { self.pick(false); });
        this.input.addEventListener('change', function () { self.pick(true); });
        this.input.addEventListener('keydown', function (event) {
          if (event.key === 'Enter') { event.preventDefault(); self.pick(true); }
        });
        fetch(this.options.territories, {credentials: 'same-origin'})
          .then(function (response) {
            if (!response.ok) { throw new Error(response.status); }
            return response.json();
          })
          .then(function (data) { self.load(data); })
          .catch(function () { self.say(self.messages.load_failed || ''); });
      }
      if (this.extent && this.fields.geojson && window.L) {
        this.extent.hidden = false;
        if (section.open) { this.showMap(); }
        section.addEventListener('toggle', function () { if (section.open) { self.showMap(); } });
        this.fields.geojson.addEventListener('change', function () { self.drawStored(true); });
      }
    },

    say: function (text) {
      if (this.status) { this.status.textContent = text; }
    },

    load: function (data) {
      var self = this;
      var levels = this.messages.levels || {};
      var entries = [];
      var add = function (level, code, name, bbox, departements) {
        var label = name + ' \u2014 ' + (levels[level] || level) + ' (' + code + ')';
        var entry = {level: level, code: code, name: name, bbox: bbox, departements: departements, label: label};
        self.byLabel[normalise(label)] = entry;
        entries.push(entry);
      };
      add('region', data.region.code, data.region.name, data.region.bbox, []);
      data.departements.forEach(function (d) {
        self.departements[d.code] = d;
        add('departement', d.code, d.name, d.bbox, [d.code]);
      });
      data.epci.forEach(function (e) { add('epci', e.code, e.name, null, e.departements); });
      data.communes.forEach(function (c) {
        var code = c[0];
        var departement = code.slice(0, 2);
        add('commune', code, c[1], (data.commune_bboxes || {})[code] || null, [departement]);
      });
      this.entries = entries;
      var fragment = document.createDocumentFragment();
      entries.forEach(function (entry) {
        var option = document.createElement('option');
        option.value = entry.label;
        fragment.appendChild(option);
      });
      this.list.appendChild(fragment);
      // an edited dataset: its territory shown in the picker
      var level = this.fields.level.value, code = (this.fields.code.value || '').trim().toUpperCase();
      var current = entries.filter(function (e) { return e.level === level && e.code === code; })[0];
      if (current && !this.input.value) { this.input.value = current.label; }
    },

    // The territory whose label, name or code the picker holds (exact match only).
    find: function (text) {
      var key = normalise(text);
      if (!key || !this.entries) { return null; }
      if (this.byLabel[key]) { return this.byLabel[key]; }
      var matches = this.entries.filter(function (e) { return normalise(e.name) === key || e.code.toLowerCase() === key; });
      return matches.length === 1 ? matches[0] : null;
    },

    // While typing, only a label chosen in the list applies; on change or Enter, a name or code too.
    pick: function (final) {
      var entry = final ? this.find(this.input.value) : this.byLabel[normalise(this.input.value)];
      if (!entry) {
        if (final && this.input.value.trim()) { this.say(this.messages.not_found || ''); }
        return;
      }
      this.input.value = entry.label;
      this.apply(entry);
    },

    apply: function (entry) {
      var f = this.fields;
      f.level.value = entry.level;
      f.level.dispatchEvent(new Event('change', {bubbles: true}));
      f.code.value = entry.code;
      f.name.value = entry.name;
      if (entry.bbox) {
        f.geojson.value = JSON.stringify(bboxPolygon(entry.bbox));
        this.say((this.messages.filled || '').replace('{name}', entry.name));
      } else {
        this.say((this.messages.filled_no_extent || '').replace('{name}', entry.name));
      }
      this.showMap();
      if (entry.bbox) {
        this.drawStored(true);
      } else {
        this.zoomTo(entry.departements);
      }
    },

    zoomTo: function (departements) {
      if (!this.map) { return; }
      var bounds = null;
      var self = this;
      (departements || []).forEach(function (code) {
        var d = self.departements[code];
        if (!d) { return; }
        var b = L.latLngBounds([d.bbox[1], d.bbox[0]], [d.bbox[3], d.bbox[2]]);
        bounds = bounds ? bounds.extend(b) : b;
      });
      if (bounds) { this.map.fitBounds(bounds); }
    },

    showMap: function () {
      if (this.map) {
        this.map.invalidateSize();
        return;
      }
      var container = this.extent.querySelector('.datasud-extent-map');
      if (!container || !this.el[0].open) { return; }
      var config = {};
      try { config = JSON.parse(container.getAttribute('data-map-config') || '{}'); } catch (e) { config = {}; }
      this.localiseDraw();
      var map = ckan.commonLeafletMap(container, config, {attributionControl: false});  // common_map adds its own
      this.map = map;
      this.drawn = new L.FeatureGroup().addTo(map);
      map.addControl(new L.Control.Draw({
        position: 'topleft',
        draw: {polyline: false, circle: false, marker: false, circlemarker: false,
               rectangle: {shapeOptions: {color: '#0059b3'}}, polygon: {shapeOptions: {color: '#0059b3'}}},
        edit: {featureGroup: this.drawn}
      }));
      var self = this;
      map.on(L.Draw.Event.CREATED, function (event) {
        self.drawn.clearLayers();
        self.drawn.addLayer(event.layer);
        self.store();
      });
      map.on(L.Draw.Event.EDITED, function () { self.store(); });
      map.on(L.Draw.Event.DELETED, function () { self.store(); });
      map.fitBounds([[42.98, 4.23], [45.13, 7.72]]);
      this.drawStored(true);
    },

    // The GeoJSON field onto the map.
    drawStored: function (fit) {
      if (!this.map) { return; }
      var text = (this.fields.geojson.value || '').trim();
      this.drawn.clearLayers();
      if (!text) { return; }
      var geometry;
      try { geometry = JSON.parse(text); } catch (e) {
        this.say(this.messages.invalid_geojson || '');
        return;
      }
      var self = this;
      try {
        L.geoJSON(geometry, {style: {color: '#0059b3'}}).eachLayer(function (layer) { self.drawn.addLayer(layer); });
      } catch (e) {
        this.say(this.messages.invalid_geojson || '');
        return;
      }
      if (fit && this.drawn.getLayers().length) { this.map.fitBounds(this.drawn.getBounds(), {maxZoom: 13}); }
    },

    // The map's drawing into the GeoJSON field (one geometry: a polygon or a multipolygon).
    store: function () {
      var geometries = this.drawn.getLayers().map(function (layer) { return layer.toGeoJSON().geometry; });
      var value = '';
      if (geometries.length === 1) {
        value = JSON.stringify(rounded(geometries[0]));
      } else if (geometries.length > 1) {
        value = JSON.stringify(rounded({
          type: 'MultiPolygon',
          coordinates: geometries.map(function (g) { return g.type === 'Polygon' ? g.coordinates : g.coordinates[0]; })
        }));
      }
      this.fields.geojson.value = value;
      this.say(value ? (this.messages.drawn || '') : '');
    },

    localiseDraw: function () {
      var m = this.messages.draw;
      if (!m || !L.drawLocal) { return; }
      var d = L.drawLocal.draw, e = L.drawLocal.edit;
      d.toolbar.actions = {title: m.cancel, text: m.cancel};
      d.toolbar.finish = {title: m.finish, text: m.finish};
      d.toolbar.undo = {title: m.undo, text: m.undo};
      d.toolbar.buttons.polygon = m.polygon;
      d.toolbar.buttons.rectangle = m.rectangle;
      d.handlers.polygon.tooltip = {start: m.polygon_start, cont: m.polygon_cont, end: m.polygon_end};
      d.handlers.rectangle.tooltip = {start: m.rectangle_start};
      d.handlers.simpleshape.tooltip = {end: m.release};
      e.toolbar.actions.save = {title: m.save, text: m.save};
      e.toolbar.actions.cancel = {title: m.cancel, text: m.cancel};
      e.toolbar.actions.clearAll = {title: m.clear, text: m.clear};
      e.toolbar.buttons = {edit: m.edit, editDisabled: m.nothing, remove: m.remove, removeDisabled: m.nothing};
      e.handlers.edit.tooltip = {text: m.edit_tip, subtext: m.cancel_tip};
      e.handlers.remove.tooltip = {text: m.remove_tip};
    }
  };
});
