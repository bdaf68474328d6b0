import { Inject, Injectable } from '@nestjs/common';
import { AccountsError, AccountsErrorCode } from '../accounts/accounts-error';
import { type AreaConfig, BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';

export type Area = AreaConfig;

/** Areas (cloud regions) from the AREAS setting; a connector is activated into one of them. */
@Injectable()
export class AreasService {
  private readonly areas: readonly Area[];
  private readonly own: string;

  constructor(@Inject(BROKER_CONFIG) config: BrokerConfig) {
    this.areas = config.accounts.areas;
    this.own = config.accounts.brokerArea;
  }

  list(): readonly Area[] {
    return this.areas;
  }

  find(id: string): Area | undefined {
    return this.areas.find((a) => a.id === id);
  }

  get(id: string): Area {
    const a = this.find(id);
    if (!a) throw new AccountsError(AccountsErrorCode.AREA_NOT_FOUND, `unknown area "${id}"`);
    return a;
  }

  /** The area this broker serves. */
  defaultArea(): Area {
    return this.get(this.own);
  }
}
