// The talentflow dashboard: one page over the public API (/v1), charts by Apache ECharts.
// No framework and no build step: the files are served as they are, from the binary.
'use strict';

(() => {
  const API = '/v1';
  const FEED_SIZE = 50;
  const numbers = new Intl.NumberFormat('en');
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  // Calm colours; a company keeps its colour on both sides of the Sankey.
  const PALETTE = ['#3d5afe', '#2a9d8f', '#e76f51', '#8e7dbe', '#e9a23b', '#4d908e', '#d1495b',
    '#577590', '#90be6d', '#b5838d', '#00a6c0', '#6d597a'];

  // ---- small helpers -------------------------------------------------------------------------

  const $ = (selector, root = document) => root.querySelector(selector);

  /** An element with attributes and children; text is always set as text, never parsed as HTML. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') el.className = value;
      else if (key === 'dataset') Object.assign(el.dataset, value);
      else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
      else if (key === 'style') el.setAttribute('style', value);
      else el.setAttribute(key, value === true ? '' : value);
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  const escapeHtml = (text) => String(text).replace(/[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

  function colorFor(id) {
    let hash = 0;
    for (const c of String(id)) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
    return PALETTE[hash % PALETTE.length];
  }

  /** A date the API gives with a precision, as precise as it is known and no more. */
  function formatDate(date, precision) {
    if (!date) return null;
    const [y, m, d] = date.split('-');
    if (precision === 'year') return y;
    if (precision === 'month') return `${MONTHS[Number(m) - 1]} ${y}`;
    return `${Number(d)} ${MONTHS[Number(m) - 1]} ${y}`;
  }

  function formatPeriod(start, interval) {
    const [y, m] = start.split('-');
    if (interval === 'year') return y;
    if (interval === 'quarter') return `${y} Q${Math.floor((Number(m) - 1) / 3) + 1}`;
    return `${MONTHS[Number(m) - 1]} ${y}`;
  }

  const plural = (n, one, many = `${one}s`) => `${numbers.format(n)} ${n === 1 ? one : many}`;

  // ---- the API -------------------------------------------------------------------------------

  class ApiProblem extends Error {}

  /** GET a JSON document; a problem+json answer becomes an error carrying its `detail`. */
  async function api(path, params = {}, signal = undefined) {
    const url = new URL(API + path, location.origin);
    for (const [key, value] of Object.entries(params)) {
      if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, value);
    }
    let response;
    try {
      response = await fetch(url, { headers: { Accept: 'application/json' }, signal });
    } catch (err) {
      if (err.name === 'AbortError') throw err;
      throw new ApiProblem('The service could not be reached. Is talentflow running?');
    }
    if (!response.ok) {
      let message = `${response.status} ${response.statusText}`;
      try {
        const problem = await response.json();
        message = problem.detail || problem.title || message;
        // Field errors the detail does not already say (it often sums them up).
        const more = (problem.errors || []).filter((e) => !message.includes(e.message));
        if (more.length) message += ` (${more.map((e) => `${e.field}: ${e.message}`).join('; ')})`;
      } catch { /* not JSON: keep the status line */ }
      throw new ApiProblem(message);
    }
    return response.json();
  }

  /** One request at a time per panel: a newer request cancels the older one. */
  function latest() {
    let controller = null;
    return () => {
      if (controller) controller.abort();
      controller = new AbortController();
      return controller.signal;
    };
  }

  function showError(section, err) {
    const box = $('.error', section);
    if (!err) { box.hidden = true; box.textContent = ''; return; }
    if (err.name === 'AbortError') return;
    box.textContent = err instanceof ApiProblem ? err.message : `Something went wrong: ${err.message}`;
    box.hidden = false;
    if (!(err instanceof ApiProblem)) console.error(err);
  }

  /** A panel whose request failed shows the problem, not the previous answer as if current. */
  function failed(section, title) {
    $('h2', section).textContent = title;
    $('.sub', section).textContent = '';
    for (const body of section.querySelectorAll('[id$="-body"]')) body.hidden = true;
  }

  // ---- charts --------------------------------------------------------------------------------

  const charts = {};

  function chart(id) {
    if (!charts[id]) {
      const el = document.getElementById(id);
      charts[id] = echarts.init(el, null, { renderer: 'canvas' });
      new ResizeObserver(() => charts[id].resize()).observe(el);
    }
    return charts[id];
  }

  const baseText = { fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif', color: '#1d2433' };

  // ---- navigation: what is open lives in the address, so a view can be linked to ------------

  function readHash() {
    return new URLSearchParams(location.hash.slice(1));
  }

  function writeHash(key, value) {
    const params = readHash();
    params.set(key, value);
    history.replaceState(null, '', `#${params}`);
  }

  function reveal(section) {
    section.scrollIntoView({ behavior: 'smooth', block: 'start' });
  }

  /** A button that opens a company, researcher or project in its panel. */
  function refButton(type, ref, label = ref.name) {
    const open = { company: openCompany, researcher: openResearcher, project: openProject }[type];
    return h('button', {
      type: 'button', class: 'link', title: `Open ${ref.name}`,
      onclick: () => open(ref.slug || ref.id, { scroll: true }),
    }, label);
  }

  // ---- flows (Sankey) ------------------------------------------------------------------------

  const flowsSection = $('#flows');
  const flowsRequest = latest();
  let flowsLinks = [];

  function period() {
    return {
      since: $('#since').value.trim(),
      until: $('#until').value.trim(),
      roll_up: $('#roll-up').checked ? 'parent' : '',
      min_confidence: $('#min-confidence').value,
    };
  }

  async function loadFlows() {
    const form = $('#flows-form');
    const top = $('#top').value.trim() || '50';
    const params = { ...period(), top };
    $('#flows-stale').hidden = true;
    flowsSection.setAttribute('aria-busy', 'true');
    try {
      const flows = await api('/flows', params, flowsRequest());
      showError(flowsSection, null);
      renderFlows(flows, Number(top));
    } catch (err) {
      if (err.name !== 'AbortError') {
        flowsLinks = [];
        chart('sankey').clear();
        renderFlowsTable([]);
        $('#flows-summary').textContent = '';
      }
      showError(flowsSection, err);
    } finally {
      flowsSection.removeAttribute('aria-busy');
      form.dataset.loaded = 'true';
    }
  }

  // ECharts lays a Sankey out as a directed acyclic graph and refuses cycles, and real data has
  // them (people go from A to B and from B to A). So every company that people left is a node on
  // the left and every company they joined is a node on the right: each link goes left to right,
  // no flow is dropped, and both directions between two companies stay visible.
  function renderFlows(flows, top) {
    const byId = new Map(flows.nodes.map((node) => [node.id, node]));
    const company = (id) => byId.get(id) || { id, slug: id, name: id };
    const nodes = [];
    const added = new Set();
    const node = (side, id) => {
      const key = `${side}:${id}`;
      if (!added.has(key)) {
        added.add(key);
        const ref = company(id);
        nodes.push({
          id: key, name: ref.name, depth: side === 'from' ? 0 : 1,
          company: ref, itemStyle: { color: colorFor(id) },
          label: { position: side === 'from' ? 'right' : 'left' },
        });
      }
      return key;
    };
    const links = flows.links.map((link) => ({
      source: node('from', link.source), target: node('to', link.target), value: link.count,
    }));
    flowsLinks = flows.links.map((link) => ({
      from: company(link.source), to: company(link.target), count: link.count,
    }));

    const shown = flows.links.reduce((sum, link) => sum + link.count, 0);
    $('#flows-summary').textContent = flows.total_moves === 0
      ? 'No moves between two known companies in this period.'
      : `${plural(flows.total_moves, 'move')} between companies in this period; `
        + `the ${plural(flows.links.length, 'largest link')} (top ${top}) carry ${plural(shown, 'move')}.`;
    if (flows.uncertain_moves) {
      // Dated only to a month or year that straddles the period: not drawn, but said.
      $('#flows-summary').textContent += ` ${plural(flows.uncertain_moves, 'more move')} may fall in this period`
        + ' (dated too roughly to tell) and ' + (flows.uncertain_moves === 1 ? 'is' : 'are') + ' not counted.';
    }

    const side = Math.max(nodes.filter((n) => n.depth === 0).length, nodes.length - nodes.filter((n) => n.depth === 0).length);
    const el = $('#sankey');
    el.style.height = `${Math.min(960, Math.max(260, side * 30))}px`;
    el.dataset.links = String(links.length);

    const sankey = chart('sankey');
    sankey.resize();
    sankey.setOption({
      textStyle: baseText,
      tooltip: {
        trigger: 'item',
        formatter: (p) => {
          if (p.dataType === 'edge') {
            const from = nodes.find((n) => n.id === p.data.source);
            const to = nodes.find((n) => n.id === p.data.target);
            return `${escapeHtml(from.name)} → ${escapeHtml(to.name)}<br><b>${plural(p.value, 'move')}</b>`;
          }
          const verb = p.data.depth === 0 ? 'left' : 'joined';
          return `${escapeHtml(p.data.name)}<br>${plural(p.value, 'person', 'people')} ${verb}`;
        },
      },
      series: [{
        type: 'sankey',
        left: 8, right: 8, top: 8, bottom: 8,
        nodeAlign: 'justify',
        nodeWidth: 14,
        // Hundreds of companies a side (a large `top`) still fit, closer together.
        nodeGap: Math.max(1, Math.min(10, Math.floor(480 / side))),
        layoutIterations: 32,
        draggable: false,
        emphasis: { focus: 'adjacency' },
        // Node ids are `from:<uuid>` and `to:<uuid>`; show the company's name.
        label: { fontSize: 12, color: '#1d2433', formatter: (p) => p.data.name },
        labelLayout: { hideOverlap: true },
        lineStyle: { color: 'gradient', opacity: 0.28, curveness: 0.5 },
        data: nodes,
        links,
      }],
    }, { notMerge: true });

    renderFlowsTable(flowsLinks);
  }

  function renderFlowsTable(links) {
    const body = $('#flows-table tbody');
    body.replaceChildren(...(links.length ? links.map((link) => h('tr', {},
      h('td', {}, refButton('company', link.from)),
      h('td', {}, refButton('company', link.to)),
      h('td', { class: 'num' }, numbers.format(link.count)),
    )) : [h('tr', {}, h('td', { colspan: 3, class: 'empty' }, 'No flows in this period.'))]));
  }

  function setUpFlows() {
    const hash = readHash().get('flows');
    if (hash) {
      const [since, until, rollUp, top, minConfidence] = hash.split('~');
      $('#since').value = since || '';
      $('#until').value = until || '';
      $('#roll-up').checked = rollUp === 'parent';
      if (top) $('#top').value = top;
      $('#min-confidence').value = minConfidence || '';
    }
    $('#flows-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const p = period();
      writeHash('flows', `${p.since}~${p.until}~${p.roll_up}~${$('#top').value.trim()}~${p.min_confidence}`);
      loadFlows();
      if (currentCompany) loadCompany();
    });
    $('#roll-up').addEventListener('change', () => $('#flows-form').requestSubmit());
    // Which moves count is every panel's question: the researcher and the project follow too.
    $('#min-confidence').addEventListener('change', () => {
      $('#flows-form').requestSubmit();
      const researcher = readHash().get('researcher');
      if (researcher) openResearcher(researcher);
      if (currentProject) loadProject();
    });
    $('#flows-refresh').addEventListener('click', () => {
      loadFlows();
      if (currentCompany) loadCompany();
    });
    chart('sankey').on('click', (p) => {
      if (p.dataType === 'node') openCompany(p.data.company.slug, { scroll: true });
      else if (p.dataType === 'edge') {
        const from = p.data.source.slice(p.data.source.indexOf(':') + 1);
        openCompany(from, { scroll: true });
      }
    });
  }

  // ---- company balance -----------------------------------------------------------------------

  const companySection = $('#company');
  const companyRequest = latest();
  let currentCompany = null;

  function openCompany(idOrSlug, { scroll = false } = {}) {
    currentCompany = idOrSlug;
    writeHash('company', idOrSlug);
    loadCompany();
    if (scroll) reveal(companySection);
  }

  async function loadCompany() {
    const interval = $('#interval').value;
    companySection.setAttribute('aria-busy', 'true');
    try {
      const balance = await api(`/companies/${encodeURIComponent(currentCompany)}/balance`,
        { ...period(), interval }, companyRequest());
      showError(companySection, null);
      renderCompany(balance, interval);
    } catch (err) {
      if (err.name !== 'AbortError') failed(companySection, 'Company');
      showError(companySection, err);
    } finally {
      companySection.removeAttribute('aria-busy');
    }
  }

  function counterparts(list, items, emptyText) {
    const max = Math.max(1, ...items.map((item) => item.count));
    list.replaceChildren(...(items.length ? items.slice(0, 15).map((item) => h('li', {},
      h('span', { class: 'bar', style: `width:${(100 * item.count) / max}%` }),
      refButton('company', item.company),
      h('span', { class: 'count' }, numbers.format(item.count)),
    )) : [h('li', { class: 'empty' }, emptyText)]));
    if (items.length > 15) list.append(h('li', { class: 'empty' }, `and ${plural(items.length - 15, 'more')}`));
  }

  function renderCompany(balance, interval) {
    $('#company-title').textContent = balance.company.name;
    const p = period();
    const range = p.since || p.until ? `${p.since || 'the start'} to ${p.until || 'now'}` : 'all time';
    $('#company-sub').textContent = `Arrivals and departures per ${interval}, ${range}`
      + (p.roll_up ? ', subsidiaries counted with their parent.' : '.');
    $('#company-body').hidden = false;

    const { totals } = balance;
    $('#company-totals').replaceChildren(
      h('div', {}, h('dt', {}, 'Inflow'), h('dd', { class: 'in' }, numbers.format(totals.inflow))),
      h('div', {}, h('dt', {}, 'Outflow'), h('dd', { class: 'out' }, numbers.format(totals.outflow))),
      h('div', {}, h('dt', {}, 'Net'), h('dd', { class: totals.net < 0 ? 'out' : 'in' },
        (totals.net > 0 ? '+' : '') + numbers.format(totals.net))),
    );

    // Moves known only to a year have no month or quarter: each such year gets a bar of its own,
    // drawn apart and placed where the year begins, instead of being counted as a January.
    const points = [
      ...balance.series.map((x) => ({ key: x.period_start, label: formatPeriod(x.period_start, interval), ...x })),
      ...balance.unplaced.map((x) => ({ key: `${x.period}-01-00`, label: `${x.period} (year only)`, unplaced: true, ...x })),
    ].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const labels = points.map((x) => x.label);
    const many = labels.length > 36;
    const placed = (value) => points.map((x) => (x.unplaced ? null : value(x)));
    const yearOnly = (value) => points.map((x) => (x.unplaced ? value(x) : null));
    const notes = [];
    const unplacedMoves = balance.unplaced.reduce((n, x) => n + x.inflow + x.outflow, 0);
    if (unplacedMoves) {
      const years = balance.unplaced.map((x) => x.period).join(', ');
      notes.push(`${plural(unplacedMoves, 'move')} known only to the year (${years}) ${unplacedMoves === 1 ? 'is' : 'are'} drawn apart, in no ${interval}.`);
    }
    const uncertainMoves = balance.uncertain.inflow + balance.uncertain.outflow;
    if (uncertainMoves) notes.push(`${plural(uncertainMoves, 'more move')} may fall in this period (dated too roughly to tell) and ${uncertainMoves === 1 ? 'is' : 'are'} not counted.`);
    $('#company-note').textContent = notes.join(' ');
    $('#company-note').hidden = notes.length === 0;
    chart('balance-chart').setOption({
      textStyle: baseText,
      color: ['#2a9d8f', '#e76f51', '#3d5afe'],
      grid: { left: 44, right: 16, top: 36, bottom: many ? 64 : 28 },
      legend: { top: 0, left: 0, itemWidth: 12, itemHeight: 10 },
      tooltip: {
        trigger: 'axis',
        axisPointer: { type: 'shadow' },
        valueFormatter: (value) => numbers.format(Math.abs(value)),
      },
      xAxis: { type: 'category', data: labels, axisTick: { alignWithLabel: true } },
      yAxis: {
        type: 'value', minInterval: 1,
        axisLabel: { formatter: (v) => numbers.format(Math.abs(v)) },
        splitLine: { lineStyle: { color: '#eef0f3' } },
      },
      dataZoom: many ? [{ type: 'slider', height: 18, bottom: 8, start: 100 - Math.max(10, (36 * 100) / labels.length), end: 100 },
        { type: 'inside' }] : [],
      series: [
        { name: 'Inflow', type: 'bar', stack: 'flow', data: placed((x) => x.inflow), barMaxWidth: 28 },
        { name: 'Outflow', type: 'bar', stack: 'flow', data: placed((x) => -x.outflow), barMaxWidth: 28 },
        {
          name: 'Net', type: 'line', data: placed((x) => x.net), connectNulls: true,
          symbolSize: 5, showSymbol: labels.length <= 24, lineStyle: { width: 2 },
        },
        ...(balance.unplaced.length ? [
          {
            name: 'Inflow, year only', type: 'bar', stack: 'flow', data: yearOnly((x) => x.inflow), barMaxWidth: 28,
            itemStyle: { color: 'rgba(42, 157, 143, 0.35)', borderColor: '#2a9d8f', borderType: 'dashed' },
          },
          {
            name: 'Outflow, year only', type: 'bar', stack: 'flow', data: yearOnly((x) => -x.outflow), barMaxWidth: 28,
            itemStyle: { color: 'rgba(231, 111, 81, 0.35)', borderColor: '#e76f51', borderType: 'dashed' },
          },
        ] : []),
      ],
    }, { notMerge: true });

    counterparts($('#gained-from'), balance.gained_from, 'No arrivals from a known company.');
    counterparts($('#lost-to'), balance.lost_to, 'No departures to a known company.');
  }

  // ---- researcher timeline -------------------------------------------------------------------

  const researcherSection = $('#researcher');
  const researcherRequest = latest();

  async function openResearcher(idOrSlug, { scroll = false } = {}) {
    writeHash('researcher', idOrSlug);
    if (scroll) reveal(researcherSection);
    researcherSection.setAttribute('aria-busy', 'true');
    try {
      const timeline = await api(`/researchers/${encodeURIComponent(idOrSlug)}/timeline`,
        { min_confidence: period().min_confidence }, researcherRequest());
      showError(researcherSection, null);
      renderTimeline(timeline);
    } catch (err) {
      if (err.name !== 'AbortError') failed(researcherSection, 'Researcher');
      showError(researcherSection, err);
    } finally {
      researcherSection.removeAttribute('aria-busy');
    }
  }

  function stintDates(stint) {
    const start = formatDate(stint.started_on, stint.started_precision);
    const end = formatDate(stint.ended_on, stint.ended_precision);
    return h('span', { class: 'when' },
      start || h('span', { class: 'unknown', title: 'No recorded move starts this stint' }, 'start unknown'),
      ' – ',
      end || (stint.current ? 'now' : h('span', { class: 'unknown', title: 'No recorded move ends this stint' }, 'end unknown')));
  }

  function renderTimeline(timeline) {
    $('#researcher-title').textContent = timeline.researcher.name;
    $('#researcher-sub').textContent = `${plural(timeline.stints.length, 'stint')} and ${plural(timeline.moves.length, 'recorded move')}.`;
    $('#researcher-body').hidden = false;
    researcherSection.dataset.researcher = timeline.researcher.slug;
    const stints = $('#stints');
    stints.replaceChildren(...(timeline.stints.length ? timeline.stints.map((stint) => h('li', {
      class: stint.current ? 'current' : '',
    }, refButton('company', stint.company), ' ', stintDates(stint),
    stint.order_certain ? null : h('span', {
      class: 'uncertain', title: 'The moves that start and end this stint are dated to overlapping periods: either may have come first.',
    }, ' order uncertain'),
    stint.title ? h('span', { class: 'title' }, stint.title) : null))
      : [h('li', { class: 'empty' }, 'No stints: no move names a company.')]));
    const moves = $('#researcher-moves');
    moves.replaceChildren(...(timeline.moves.length
      ? timeline.moves.map((move) => moveItem(move, { showResearcher: false }))
      : [h('li', { class: 'empty' }, 'No moves recorded.')]));
  }

  // ---- moves, as shown in the feed and the lists ---------------------------------------------

  function place(ref) {
    return ref ? refButton('company', ref) : h('span', { class: 'unknown' }, 'unknown');
  }

  function moveItem(move, { showResearcher = true } = {}) {
    const sources = (move.sources || []).map((s) => s.source && (s.source.publisher || s.source.title)).filter(Boolean);
    return h('li', { dataset: { moveId: move.id } },
      h('div', { class: 'move-line' },
        showResearcher ? refButton('researcher', move.researcher) : null,
        showResearcher ? h('span', { class: 'arrow' }, '·') : null,
        place(move.from), h('span', { class: 'arrow', 'aria-label': 'to' }, '→'), place(move.to)),
      h('div', { class: 'move-meta' },
        h('span', { class: 'badge' }, move.kind.replace('_', ' ')), ' ',
        move.confidence ? h('span', { class: `badge ${move.confidence}` }, move.confidence) : null, ' ',
        [formatDate(move.effective_on, move.effective_precision), move.title,
          sources.length ? `per ${sources.join(', ')}` : null].filter(Boolean).join(' · ')));
  }

  // ---- project attrition ---------------------------------------------------------------------

  const projectSection = $('#project');
  const projectRequest = latest();
  let currentProject = null;

  async function setUpProjects() {
    const select = $('#project-select');
    select.addEventListener('change', () => openProject(select.value));
    $('#as-of').addEventListener('change', () => currentProject && loadProject());
    $('#project-form').addEventListener('submit', (event) => {
      event.preventDefault();
      if (currentProject) loadProject();
    });
    try {
      // Bounded: the first 100 projects; any other is a search away.
      const page = await api('/projects', { limit: 100 });
      select.replaceChildren(...page.data.map((project) => h('option', { value: project.slug },
        project.company ? `${project.name} (${project.company.name})` : project.name)));
      const wanted = readHash().get('project') || (page.data[0] && page.data[0].slug);
      if (wanted) openProject(wanted);
      else $('#project-sub').textContent = 'No projects recorded yet.';
    } catch (err) {
      showError(projectSection, err);
    }
  }

  function openProject(idOrSlug, { scroll = false } = {}) {
    currentProject = idOrSlug;
    writeHash('project', idOrSlug);
    const select = $('#project-select');
    if (![...select.options].some((o) => o.value === idOrSlug)) {
      select.append(h('option', { value: idOrSlug }, idOrSlug));
    }
    select.value = idOrSlug;
    loadProject();
    if (scroll) reveal(projectSection);
  }

  async function loadProject() {
    projectSection.setAttribute('aria-busy', 'true');
    try {
      const attrition = await api(`/projects/${encodeURIComponent(currentProject)}/attrition`,
        { as_of: $('#as-of').value.trim(), min_confidence: period().min_confidence }, projectRequest());
      showError(projectSection, null);
      renderAttrition(attrition);
    } catch (err) {
      if (err.name !== 'AbortError') failed(projectSection, 'Project attrition');
      showError(projectSection, err);
    } finally {
      projectSection.removeAttribute('aria-busy');
    }
  }

  const QUALIFIER = { exactly: '', at_least: 'at least ', about: 'about ' };
  const percent = (rate) => `${(rate * 100).toFixed(rate > 0 && rate < 0.1 ? 1 : 0)}%`;

  function renderAttrition(a) {
    const select = $('#project-select');
    const option = [...select.options].find((o) => o.value === currentProject);
    if (option && option.textContent === currentProject) option.textContent = a.project.name;
    $('#project-title').textContent = `${a.project.name}: attrition`;
    $('#project-sub').textContent = `Contributors who left the project’s company after its release, as of ${formatDate(a.as_of, 'day')}.`
      + (a.departed_uncertain
        ? ` ${numbers.format(a.departed_uncertain)} of the departures are dated too roughly to be sure they came after the release.`
        : '');
    $('#project-body').hidden = false;
    $('#project-stats').replaceChildren(
      h('div', {}, h('dt', {}, 'Roster'), h('dd', {}, numbers.format(a.roster_size))),
      h('div', {}, h('dt', {}, 'Departed'), h('dd', { class: 'out' }, numbers.format(a.departed),
        a.departed_uncertain ? h('small', { class: 'uncertain' }, ` (${numbers.format(a.departed_uncertain)} uncertain)`) : false)),
      h('div', {}, h('dt', {}, 'Remaining'), h('dd', {}, numbers.format(a.remaining))),
      h('div', {}, h('dt', {}, 'Rate'), h('dd', {}, percent(a.departure_rate))),
    );

    // The press's figures beside ours: they often differ, and that difference is the point.
    const rows = [{
      label: a.departed_uncertain
        ? `Tracked by talentflow (${numbers.format(a.departed_uncertain)} with uncertain dates)`
        : 'Tracked by talentflow',
      short: 'Tracked', departed: a.departed, of: a.roster_size, prefix: '',
    }, ...a.reported.map((r) => ({
      label: `Reported${r.source && r.source.publisher ? ` by ${r.source.publisher}` : ''}, ${formatDate(r.reported_on, r.reported_precision)}`,
      short: `Reported, ${formatDate(r.reported_on, r.reported_precision)}`,
      departed: r.departed, of: r.roster_size ?? a.roster_size, prefix: QUALIFIER[r.qualifier] || '',
    }))];
    $('#attrition-table tbody').replaceChildren(...rows.map((row) => h('tr', {},
      h('td', {}, row.label),
      h('td', { class: 'num' }, `${row.prefix}${numbers.format(row.departed)}`),
      h('td', { class: 'num' }, row.of == null ? '?' : numbers.format(row.of)),
      h('td', { class: 'num' }, row.of ? `${row.prefix}${percent(row.departed / row.of)}` : '–'),
    )));

    const el = $('#attrition-chart');
    el.style.height = `${Math.max(110, 46 * rows.length + 50)}px`;
    const bars = chart('attrition-chart');
    bars.resize();
    bars.setOption({
      textStyle: baseText,
      color: ['#e76f51', '#d8dde6'],
      grid: { left: 136, right: 16, top: 28, bottom: 24, outerBoundsMode: 'none' },
      legend: { top: 0, left: 0, itemWidth: 12, itemHeight: 10 },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { type: 'value', minInterval: 1, splitLine: { lineStyle: { color: '#eef0f3' } } },
      yAxis: {
        type: 'category', inverse: true, data: rows.map((row) => row.short),
        axisLabel: { width: 126, overflow: 'truncate' },
      },
      series: [
        { name: 'Departed', type: 'bar', stack: 'roster', barMaxWidth: 22, data: rows.map((row) => row.departed) },
        {
          name: 'Remaining', type: 'bar', stack: 'roster', barMaxWidth: 22,
          data: rows.map((row) => (row.of == null ? 0 : Math.max(0, row.of - row.departed))),
        },
      ],
    }, { notMerge: true });

    $('#departures').replaceChildren(...(a.departures.length
      ? a.departures.map((d) => {
        const item = moveItem({ ...d.move, researcher: d.researcher });
        if (!d.date_certain) {
          item.append(h('span', { class: 'uncertain', title: 'Dated only to a month or year that overlaps the release (or the as-of date): it may have come before it.' }, ' date uncertain'));
        }
        return item;
      })
      : [h('li', { class: 'empty' }, 'No departures recorded yet.')]));
    counterparts($('#destinations'), a.destinations, 'No known destinations.');
  }

  // ---- live feed -----------------------------------------------------------------------------

  const feedSection = $('#feed');
  const feedList = $('#feed-list');
  let stream = null;
  let retryDelay = 2000;

  function setFeedState(state, text) {
    const status = $('#feed-status');
    status.dataset.state = state;
    status.textContent = text;
  }

  function feedItem(move, fresh) {
    const item = moveItem(move);
    if (fresh) item.classList.add('fresh');
    return item;
  }

  /** Shows a move in the feed, newest recorded first; one that is already there is replaced. */
  function upsertMove(move, { fresh = false, insert = true } = {}) {
    const existing = feedList.querySelector(`li[data-move-id="${CSS.escape(move.id)}"]`);
    if (existing) {
      existing.replaceWith(feedItem(move, fresh));
      return;
    }
    if (!insert) return;
    $('.empty', feedList)?.remove();
    const item = feedItem(move, fresh);
    const created = Date.parse(move.created_at) || 0;
    item.dataset.createdAt = String(created);
    // Live events and the seed page can land in either order: keep newest recorded first.
    const older = [...feedList.children].find((li) => Number(li.dataset.createdAt || 0) < created);
    feedList.insertBefore(item, older || null);
    while (feedList.children.length > FEED_SIZE) feedList.lastElementChild.remove();
  }

  /** The newest recorded moves, merged into the list (on start and after a lost stream). */
  async function seedFeed() {
    try {
      const page = await api('/moves', { sort: '-created_at', limit: 20 });
      showError(feedSection, null);
      for (const move of page.data) upsertMove(move);
      if (!feedList.children.length) feedList.append(h('li', { class: 'empty' }, 'No moves yet.'));
    } catch (err) {
      showError(feedSection, err);
    }
  }

  // A replay after a reconnect can bring thousands of events at once: draw them once per frame,
  // and only as many as the feed shows.
  let pending = [];

  function queueMove(move) {
    pending.push(move);
    if (pending.length > FEED_SIZE) pending = pending.slice(-FEED_SIZE);
    if (pending.length === 1) requestAnimationFrame(flushMoves);
  }

  function flushMoves() {
    const batch = pending;
    pending = [];
    for (const move of batch) upsertMove(move, { fresh: true });
    if (batch.length) $('#flows-stale').hidden = false;
  }

  function parseEvent(event) {
    try {
      return JSON.parse(event.data);
    } catch {
      return null;
    }
  }

  function connectStream() {
    setFeedState('connecting', 'connecting…');
    stream = new EventSource(`${API}/moves/stream`);
    stream.addEventListener('open', () => {
      retryDelay = 2000;
      setFeedState('live', 'live');
    });
    stream.addEventListener('move.created', (event) => {
      const move = parseEvent(event);
      if (move) queueMove(move);
    });
    stream.addEventListener('move.updated', (event) => {
      const move = parseEvent(event);
      if (move) upsertMove(move, { fresh: true, insert: false });
    });
    stream.addEventListener('move.deleted', (event) => {
      const move = parseEvent(event);
      const id = move ? move.id : event.lastEventId;
      const item = id && feedList.querySelector(`li[data-move-id="${CSS.escape(id)}"]`);
      if (item) {
        item.classList.add('deleted');
        item.title = 'Deleted';
      }
    });
    // An import sends one event for all its moves, not one each: read the newest again.
    stream.addEventListener('import.completed', () => {
      seedFeed();
      $('#flows-stale').hidden = false;
    });
    stream.addEventListener('error', () => {
      if (stream.readyState === EventSource.CONNECTING) {
        // The browser reconnects by itself, resuming with Last-Event-ID.
        setFeedState('connecting', 'reconnecting…');
        return;
      }
      // Closed for good (the server answered with an error): start over after a pause, and fetch
      // what was recorded meanwhile.
      stream.close();
      const seconds = Math.round(retryDelay / 1000);
      setFeedState('down', `offline, retrying in ${seconds}s`);
      setTimeout(() => {
        connectStream();
        seedFeed();
      }, retryDelay);
      retryDelay = Math.min(60000, retryDelay * 2);
    });
  }

  // ---- search --------------------------------------------------------------------------------

  const searchRequest = latest();

  function setUpSearch() {
    const input = $('#search');
    const list = $('#search-results');
    let hits = [];
    let active = -1;
    let timer = null;

    const close = () => {
      list.hidden = true;
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
      active = -1;
    };
    const open = () => {
      list.hidden = false;
      input.setAttribute('aria-expanded', 'true');
    };
    const highlight = (index) => {
      active = index;
      [...list.querySelectorAll('[role="option"]')].forEach((option, i) => {
        option.setAttribute('aria-selected', String(i === index));
        if (i === index) {
          input.setAttribute('aria-activedescendant', option.id);
          option.scrollIntoView({ block: 'nearest' });
        }
      });
    };
    const choose = (hit) => {
      close();
      input.value = '';
      input.blur();
      if (hit.type === 'researcher') openResearcher(hit.slug, { scroll: true });
      else if (hit.type === 'company') openCompany(hit.slug, { scroll: true });
      else if (hit.type === 'project') openProject(hit.slug, { scroll: true });
    };
    const message = (text, problem = false) => {
      list.replaceChildren(h('li', { class: problem ? 'message problem' : 'message', role: 'presentation' }, text));
      open();
    };

    async function search(q) {
      try {
        hits = await api('/search', { q, limit: 10 }, searchRequest());
      } catch (err) {
        if (err.name !== 'AbortError') message(err.message, true);
        return;
      }
      if (input.value.trim() !== q) return;
      if (!hits.length) {
        message(`Nothing like “${q}”.`);
        return;
      }
      list.replaceChildren(...hits.map((hit, i) => h('li', {
        id: `search-hit-${i}`, role: 'option', 'aria-selected': 'false',
        dataset: { type: hit.type, slug: hit.slug },
        onmousedown: (event) => event.preventDefault(),
        onclick: () => choose(hit),
      }, h('span', { class: `kind ${hit.type}` }, hit.type), h('span', {}, hit.name))));
      open();
    }

    input.addEventListener('input', () => {
      clearTimeout(timer);
      const q = input.value.trim();
      if (q.length < 2) {
        close();
        return;
      }
      timer = setTimeout(() => search(q), 160);
    });
    input.addEventListener('keydown', (event) => {
      const count = list.hidden ? 0 : list.querySelectorAll('[role="option"]').length;
      if (event.key === 'ArrowDown' && count) {
        event.preventDefault();
        highlight((active + 1) % count);
      } else if (event.key === 'ArrowUp' && count) {
        event.preventDefault();
        highlight((active - 1 + count) % count);
      } else if (event.key === 'Enter') {
        event.preventDefault();
        if (count) choose(hits[Math.max(0, active)]);
      } else if (event.key === 'Escape') {
        close();
      }
    });
    input.addEventListener('blur', () => setTimeout(close, 150));
    input.addEventListener('focus', () => {
      if (list.children.length && input.value.trim().length >= 2) open();
    });
    // "/" focuses the search, as on many sites.
    document.addEventListener('keydown', (event) => {
      if (event.key === '/' && document.activeElement.tagName !== 'INPUT'
        && document.activeElement.tagName !== 'SELECT') {
        event.preventDefault();
        input.focus();
      }
    });
  }

  // ---- start ---------------------------------------------------------------------------------

  /** For tests and the curious: what the charts were last given, read back from ECharts. */
  window.talentflow = {
    sankeyLinks() {
      if (!charts.sankey) return [];
      const option = charts.sankey.getOption();
      const series = ((option && option.series) || [])[0];
      if (!series) return [];
      const names = new Map(series.data.map((node) => [node.id, node.name]));
      return series.links.map((link) => ({
        from: names.get(link.source), to: names.get(link.target), count: link.value,
      }));
    },
    flowsLinks: () => flowsLinks.map((l) => ({ from: l.from.name, to: l.to.name, count: l.count })),
  };

  function start() {
    if (typeof echarts === 'undefined') {
      showError(flowsSection, new ApiProblem('The chart library did not load (/dashboard/vendor/echarts.min.js).'));
      return;
    }
    setUpSearch();
    setUpFlows();
    $('#interval').addEventListener('change', () => currentCompany && loadCompany());

    const hash = readHash();
    loadFlows().then(() => {
      if (!currentCompany && flowsLinks.length) openCompany(flowsLinks[0].to.slug);
    });
    if (hash.get('company')) openCompany(hash.get('company'));
    if (hash.get('researcher')) openResearcher(hash.get('researcher'));
    setUpProjects();
    // Listen first, then fetch the latest page: a move recorded in between shows either way.
    connectStream();
    seedFeed();
  }

  start();
})();
