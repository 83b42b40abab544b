// The filter bar: minimum BTC, flow, entity, urgency and status. Changes apply at once (text
// fields when they are committed: Enter or leaving the field), and go to the address bar.
import { html } from 'htm/preact';
import { FLOWS, LEVELS, STATUSES, isFiltered } from './filters.js';

const toggle = (list, value, on) => {
  const next = new Set(list ?? []);
  if (on) next.add(value);
  else next.delete(value);
  return next.size > 0 ? [...next] : undefined;
};

const without = (filter, key, value) => {
  const next = { ...filter };
  if (value === undefined) delete next[key];
  else next[key] = value;
  return next;
};

function Choices({ legend, name, values, chosen, onChange }) {
  return html`<fieldset class="choices">
    <legend>${legend}</legend>
    ${values.map(
      (v) =>
        html`<label
          ><input
            type="checkbox"
            name=${name}
            value=${v}
            checked=${chosen?.includes(v) ?? false}
            onChange=${(e) => onChange(toggle(chosen, v, e.currentTarget.checked))}
          />
          ${v}</label
        >`,
    )}
  </fieldset>`;
}

/** The filter form; `onChange(filter)` gets the whole new filter. */
export function FilterBar({ filter, onChange }) {
  const set = (key) => (value) => onChange(without(filter, key, value));
  const minBtc = (e) => {
    const n = Number(e.currentTarget.value);
    set('minBtc')(e.currentTarget.value !== '' && Number.isFinite(n) && n > 0 ? n : undefined);
  };
  const entity = (e) => {
    const list = e.currentTarget.value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    set('entity')(list.length > 0 ? list : undefined);
  };
  return html`<form class="filters" aria-label="Filters" onSubmit=${(e) => e.preventDefault()}>
    <label class="field"
      >Min BTC
      <input
        id="filter-min-btc"
        type="number"
        min="0"
        step="any"
        inputmode="decimal"
        value=${filter.minBtc ?? ''}
        onChange=${minBtc}
      />
    </label>
    <label class="field"
      >Entity
      <input
        id="filter-entity"
        type="text"
        placeholder="binance, okx"
        value=${filter.entity?.join(', ') ?? ''}
        onChange=${entity}
        spellcheck="false"
      />
    </label>
    <${Choices} legend="Flow" name="flow" values=${FLOWS} chosen=${filter.flow} onChange=${set('flow')} />
    <${Choices}
      legend="Urgency"
      name="urgency"
      values=${LEVELS}
      chosen=${filter.urgency}
      onChange=${set('urgency')}
    />
    <${Choices}
      legend="Status"
      name="status"
      values=${STATUSES}
      chosen=${filter.status}
      onChange=${set('status')}
    />
    ${isFiltered(filter) && html`<button type="button" id="filter-clear" onClick=${() => onChange({})}>Clear filters</button>`}
  </form>`;
}
