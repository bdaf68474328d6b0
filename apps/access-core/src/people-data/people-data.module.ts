import { Global, Module } from '@nestjs/common';
import { PersonDataService } from './person-data.service';

@Global()
@Module({ providers: [PersonDataService], exports: [PersonDataService] })
export class PeopleDataModule {}
