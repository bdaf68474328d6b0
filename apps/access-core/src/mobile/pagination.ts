import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
export type { Page } from '@lanbridge/mobile-api';

export const MAX_PAGE_SIZE = 100;

export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100000)
  page?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  pageSize?: number;

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc', description: 'by time' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  order?: 'asc' | 'desc';
}

export function pageWindow(q: PageQueryDto): { page: number; pageSize: number; skip: number; take: number } {
  const page = q.page ?? 1;
  const pageSize = q.pageSize ?? 20;
  return { page, pageSize, skip: (page - 1) * pageSize, take: pageSize };
}

export function sortOrder(q: PageQueryDto): 'ASC' | 'DESC' {
  return q.order === 'asc' ? 'ASC' : 'DESC';
}

/** Escapes LIKE wildcards so a search term matches literally. */
export function likePattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Local midnight of `now`'s day and of the next day. */
export function dayBounds(now: Date): { start: Date; end: Date } {
  const start = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  const end = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
  return { start, end };
}

export function monthBounds(now: Date): { start: Date; end: Date } {
  return {
    start: new Date(now.getFullYear(), now.getMonth(), 1),
    end: new Date(now.getFullYear(), now.getMonth() + 1, 1),
  };
}

/**
 * The total of a filtered query and one page of its row ids, by event time (`e.time`) then id.
 * Lists load their views for these ids afterwards, so the page query stays narrow.
 */
export async function pageOfIds(
  qb: SelectQueryBuilder<ObjectLiteral>,
  idColumn: string,
  order: 'ASC' | 'DESC',
  skip: number,
  take: number,
): Promise<{ total: number; ids: string[] }> {
  const total = await qb.getCount();
  const rows = await qb
    .select(idColumn, 'id')
    .orderBy('e.time', order)
    .addOrderBy(idColumn, 'ASC')
    .offset(skip)
    .limit(take)
    .getRawMany<{ id: string }>();
  return { total, ids: rows.map((r) => r.id) };
}
