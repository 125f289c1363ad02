import { type KeyboardEvent, type ReactNode, useRef } from 'react';

export type Tab = { id: string; label: string };

/**
 * Tabs per the ARIA pattern: a tablist of buttons (arrow keys, Home and End move between them,
 * roving tabindex) and the selected tab's panel (named "<tab> panel", so that the tab's own
 * name, e.g. "Terminal", stays unique to the content). Panels of tabs not selected are not rendered,
 * except those listed in `keepMounted`, which stay mounted but hidden (a terminal keeps its session).
 */
export function SandboxTabs({
  label,
  tabs,
  selected,
  onSelect,
  render,
  keepMounted = [],
}: {
  label: string;
  tabs: readonly Tab[];
  selected: string;
  onSelect: (id: string) => void;
  render: (id: string) => ReactNode;
  keepMounted?: readonly string[];
}) {
  const refs = useRef(new Map<string, HTMLButtonElement>());
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const index = tabs.findIndex((t) => t.id === selected);
    const next =
      event.key === 'ArrowRight'
        ? (index + 1) % tabs.length
        : event.key === 'ArrowLeft'
          ? (index - 1 + tabs.length) % tabs.length
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? tabs.length - 1
              : undefined;
    const tab = next === undefined ? undefined : tabs[next];
    if (!tab) return;
    event.preventDefault();
    onSelect(tab.id);
    refs.current.get(tab.id)?.focus();
  };
  return (
    <>
      <div className="tabs" role="tablist" aria-label={label} onKeyDown={onKeyDown}>
        {tabs.map((tab) => (
          <button
            key={tab.id}
            ref={(el) => {
              if (el) refs.current.set(tab.id, el);
              else refs.current.delete(tab.id);
            }}
            type="button"
            role="tab"
            id={`tab-${tab.id}`}
            aria-selected={tab.id === selected}
            aria-controls={`panel-${tab.id}`}
            tabIndex={tab.id === selected ? 0 : -1}
            onClick={() => onSelect(tab.id)}
          >
            {tab.label}
          </button>
        ))}
      </div>
      {tabs
        .filter((tab) => tab.id === selected || keepMounted.includes(tab.id))
        .map((tab) => (
          <div
            key={tab.id}
            role="tabpanel"
            id={`panel-${tab.id}`}
            aria-label={`${tab.label} panel`}
            hidden={tab.id !== selected}
          >
            {render(tab.id)}
          </div>
        ))}
    </>
  );
}
