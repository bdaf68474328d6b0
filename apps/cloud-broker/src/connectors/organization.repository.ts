import { Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { OrganizationEntity } from '../database/organization.entity';
import { DEFAULT_INGRESS_POLICY, type IngressPolicy, isIngressPolicy } from './ingress-policy';

export interface Organization {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly ingressPolicy: IngressPolicy;
}

@Injectable()
export class OrganizationRepository {
  private readonly repo: Repository<OrganizationEntity>;

  constructor(dataSource: DataSource) {
    this.repo = dataSource.getRepository(OrganizationEntity);
  }

  async findBySlug(slug: string): Promise<Organization | undefined> {
    const row = await this.repo.findOne({
      where: { slug },
      select: { id: true, slug: true, name: true, ingressPolicy: true },
    });
    if (!row) return undefined;
    // The column's CHECK constraint admits nothing else; an unknown value fails closed.
    const ingressPolicy = isIngressPolicy(row.ingressPolicy) ? row.ingressPolicy : DEFAULT_INGRESS_POLICY;
    return { id: row.id, slug: row.slug, name: row.name, ingressPolicy };
  }

  async setIngressPolicy(id: string, policy: IngressPolicy): Promise<void> {
    await this.repo.update({ id }, { ingressPolicy: policy });
  }

  /** Returns the organization with `slug`, creating it with `name` if absent (race-safe). */
  async ensure(slug: string, name: string): Promise<Organization> {
    await this.repo.createQueryBuilder().insert().values({ slug, name }).orIgnore().execute();
    const org = await this.findBySlug(slug);
    if (!org) throw new Error(`organization ${slug} vanished right after insert`);
    return org;
  }
}
