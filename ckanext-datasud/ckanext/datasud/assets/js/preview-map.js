/* DataSud: a GeoJSON file's preview on a Leaflet map (resource view datasud_preview).
 *
 * The map is ckanext-spatial's common base map (ckanext.spatial.common_map.*, Leaflet
 * 1.9.3 vendored by ckanext-spatial); the features are drawn as vectors, so they show
 * even when no tile server is reachable. The file comes from the portal itself
 * (/dataset/<id>/resource/<rid>/apercu); feature properties are shown as text, never
 * as HTML.
 *
 * Options: url (the GeoJSON), bbox ([west, south, east, north], checked by the server),
 * map_config (ckanext-spatial's base map settings), error (the message if the file
 * cannot be loaded, translated by the template).
 */
this.ckan.module('datasud-preview-map', function ($) {
  'use strict';

  var STYLE = {color: '#0b6bb8', weight: 2, opacity: 1, fillColor: '#2f8fd8', fillOpacity: 0.3};

  function popup(feature) {
    var properties = (feature && feature.properties) || {};
    var table = document.createElement('table');
    table.className = 'datasud-preview-popup';
    Object.keys(properties).slice(0, 20).forEach(function (key) {
      var row = table.insertRow();
      var name = document.createElement('th');
      name.scope = 'row';
      name.textContent = key;
      row.appendChild(name);
      var value = properties[key];
      row.insertCell().textContent = (value !== null && typeof value === 'object') ? JSON.stringify(value) : String(value === null ? '' : value);
    });
    return table.rows.length ? table : null;
  }

  return {
    options: {url: null, bbox: null, map_config: {}, error: 'The map could not load the file.'},

    initialize: function () {
      var element = this.el[0];
      var bbox = this.options.bbox;
      var map = ckan.commonLeafletMap(element, this.options.map_config || {},
                                     {scrollWheelZoom: false, attributionControl: false});  // it adds its own
      if (bbox && bbox.length === 4) {
        map.fitBounds([[bbox[1], bbox[0]], [bbox[3], bbox[2]]], {maxZoom: 14, padding: [10, 10]});
      }
      var options = this.options;
      $.ajax({url: options.url, dataType: 'json'}).done(function (data) {
        var layer = L.geoJSON(data, {
          style: STYLE,
          pointToLayer: function (feature, latlng) {
            return L.circleMarker(latlng, $.extend({radius: 6}, STYLE, {fillOpacity: 0.8}));
          },
          onEachFeature: function (feature, featureLayer) {
            var content = popup(feature);
            if (content) { featureLayer.bindPopup(content); }
          }
        }).addTo(map);
        element.setAttribute('data-features', String(layer.getLayers().length));
      }).fail(function () {
        element.setAttribute('data-features', 'error');
        var note = document.createElement('p');
        note.className = 'alert alert-warning datasud-preview-map-error';
        note.textContent = options.error;
        element.parentNode.insertBefore(note, element.nextSibling);
      });
    }
  };
});
