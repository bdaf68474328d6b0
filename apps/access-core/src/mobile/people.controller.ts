import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Query,
  StreamableFile,
} from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Client, CurrentUser } from '../auth/current-user.decorator';
import type { ClientInfo, Principal } from '../auth/principal';
import { Roles } from '../auth/roles.decorator';
import { IdParamDto } from './dto/id-param.dto';
import { AppLoginDto, CreatePersonDto, GuardianDto, PersonListQueryDto, UpdatePersonDto } from './dto/people.dto';
import type { Page } from './pagination';
import type { PersonExport } from '../people-data/person-data.service';
import { PeopleService, type PersonView } from './people.service';

@ApiTags('admin: people')
@Roles('admin')
@Controller('api/v1/people')
export class PeopleController {
  constructor(private readonly people: PeopleService) {}

  @Post()
  @ApiOperation({ summary: 'Create a person (pushed to the terminals); photo as base64 JPEG/PNG' })
  create(
    @Body() body: CreatePersonDto,
    @CurrentUser() who: Principal,
    @Client() client: ClientInfo,
  ): Promise<PersonView> {
    return this.people.create(body, who, client);
  }

  @Get()
  list(@Query() q: PersonListQueryDto): Promise<Page<PersonView>> {
    return this.people.list(q);
  }

  @Get(':id')
  get(@Param() p: IdParamDto): Promise<PersonView> {
    return this.people.get(p.id);
  }

  @Get(':id/photo')
  @ApiOperation({ summary: "The person's photo (JPEG or PNG)" })
  async photo(@Param() p: IdParamDto): Promise<StreamableFile> {
    const pic = await this.people.photo(p.id);
    return new StreamableFile(pic.bytes, { type: pic.contentType, length: pic.bytes.length });
  }

  @Get(':id/export')
  @ApiOperation({ summary: 'Export everything the site holds about this person (decrypted JSON)' })
  exportData(
    @Param() p: IdParamDto,
    @CurrentUser() who: Principal,
    @Client() client: ClientInfo,
  ): Promise<PersonExport> {
    return this.people.exportData(p.id, who, client);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Erase the person: record, credentials, photos, terminal rights; events keep no personal data',
  })
  async erase(@Param() p: IdParamDto, @CurrentUser() who: Principal, @Client() client: ClientInfo): Promise<void> {
    await this.people.erase(p.id, who, client);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change names, card, department, photo or password (a new password ends their app sessions)',
  })
  update(
    @Param() p: IdParamDto,
    @Body() body: UpdatePersonDto,
    @CurrentUser() who: Principal,
    @Client() client: ClientInfo,
  ): Promise<PersonView> {
    return this.people.update(p.id, body, who, client);
  }

  @Put(':id/app-login')
  @ApiOperation({ summary: 'Enable or disable App Login (disabling ends their app sessions)' })
  appLogin(
    @Param() p: IdParamDto,
    @Body() body: AppLoginDto,
    @CurrentUser() who: Principal,
    @Client() client: ClientInfo,
  ): Promise<PersonView> {
    return this.people.setAppLogin(p.id, body.enabled, who, client);
  }

  @Post(':id/guardians')
  @ApiOperation({ summary: "Let another person follow this person's events" })
  addGuardian(
    @Param() p: IdParamDto,
    @Body() body: GuardianDto,
    @CurrentUser() who: Principal,
    @Client() client: ClientInfo,
  ): Promise<PersonView> {
    return this.people.addGuardian(p.id, body.guardianPin, who, client);
  }
}
