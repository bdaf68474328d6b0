/**
 * Wrappers of the Ionic form and list components, made here rather than imported from
 * `@ionic/react`: that package is one module holding every wrapper, so whatever a lazy screen
 * imports from it lands in the entry chunk. Made from the same pieces (`createComponent` and each
 * element's own module), these load with the screens that use them. Types are @ionic/react's.
 */
import React from 'react';
import { createComponent } from '@stencil/react-output-target/runtime';
import type * as Ionic from '@ionic/react';
import { defineCustomElement as defInput, IonInput as InputEl } from '@ionic/core/components/ion-input.js';
import { defineCustomElement as defTextarea, IonTextarea as TextareaEl } from '@ionic/core/components/ion-textarea.js';
import { defineCustomElement as defSelect, IonSelect as SelectEl } from '@ionic/core/components/ion-select.js';
import {
  defineCustomElement as defSelectOption,
  IonSelectOption as SelectOptionEl,
} from '@ionic/core/components/ion-select-option.js';
import { defineCustomElement as defRange, IonRange as RangeEl } from '@ionic/core/components/ion-range.js';
import { defineCustomElement as defToggle, IonToggle as ToggleEl } from '@ionic/core/components/ion-toggle.js';
import {
  defineCustomElement as defSearchbar,
  IonSearchbar as SearchbarEl,
} from '@ionic/core/components/ion-searchbar.js';
import { defineCustomElement as defSegment, IonSegment as SegmentEl } from '@ionic/core/components/ion-segment.js';
import {
  defineCustomElement as defSegmentButton,
  IonSegmentButton as SegmentButtonEl,
} from '@ionic/core/components/ion-segment-button.js';
import {
  defineCustomElement as defProgressBar,
  IonProgressBar as ProgressBarEl,
} from '@ionic/core/components/ion-progress-bar.js';

const make = <T>(
  tagName: string,
  elementClass: unknown,
  defineCustomElement: () => void,
  events: Record<string, string>,
): T =>
  createComponent({
    tagName,
    elementClass: elementClass as never,
    react: React,
    events: events as never,
    defineCustomElement,
  }) as unknown as T;

const FIELD = { onIonChange: 'ionChange', onIonFocus: 'ionFocus', onIonBlur: 'ionBlur' };

export const IonInput = make<typeof Ionic.IonInput>('ion-input', InputEl, defInput, {
  ...FIELD,
  onIonInput: 'ionInput',
});
export const IonTextarea = make<typeof Ionic.IonTextarea>('ion-textarea', TextareaEl, defTextarea, {
  ...FIELD,
  onIonInput: 'ionInput',
});
export const IonSelect = make<typeof Ionic.IonSelect>('ion-select', SelectEl, defSelect, {
  ...FIELD,
  onIonCancel: 'ionCancel',
  onIonDismiss: 'ionDismiss',
});
export const IonSelectOption = make<typeof Ionic.IonSelectOption>(
  'ion-select-option',
  SelectOptionEl,
  defSelectOption,
  {},
);
export const IonRange = make<typeof Ionic.IonRange>('ion-range', RangeEl, defRange, {
  ...FIELD,
  onIonInput: 'ionInput',
});
export const IonToggle = make<typeof Ionic.IonToggle>('ion-toggle', ToggleEl, defToggle, FIELD);
export const IonSearchbar = make<typeof Ionic.IonSearchbar>('ion-searchbar', SearchbarEl, defSearchbar, {
  ...FIELD,
  onIonInput: 'ionInput',
  onIonCancel: 'ionCancel',
  onIonClear: 'ionClear',
});
export const IonSegment = make<typeof Ionic.IonSegment>('ion-segment', SegmentEl, defSegment, {
  onIonChange: 'ionChange',
});
export const IonSegmentButton = make<typeof Ionic.IonSegmentButton>(
  'ion-segment-button',
  SegmentButtonEl,
  defSegmentButton,
  {},
);
export const IonProgressBar = make<typeof Ionic.IonProgressBar>('ion-progress-bar', ProgressBarEl, defProgressBar, {});
