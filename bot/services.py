"""Everything a listener or job needs, built once per process and handed to the handlers through Bolt's context."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient

from bot import pagerduty
from bot.clock import Clock
from bot.config import LiaisonConfig
from bot.customers import context as customer_context
from bot.customers import conversations as shared
from bot.customers import satisfaction
from bot.customers.conversations import SharedConversations
from bot.customers.satisfaction import SatisfactionSurvey
from bot.db import Database
from bot.digests import service as digest_service
from bot.digests.service import DigestService
from bot.dispatcher import OutboxDispatcher
from bot.gateway import SlackGateway
from bot.incidents import queries as incident_queries
from bot.incidents.patterns import PatternWatch
from bot.incidents.provision import ChannelProvisioner
from bot.incidents.service import IncidentService
from bot.oncall.directory import OnCallDirectory
from bot.oncall.sync import FeedSync
from bot.paging.glance import EscalationPoint
from bot.paging.ladder import BreachLadder
from bot.paging.service import PagingService
from bot.permissions import AgentDirectory
from bot.routing.service import RoutingService
from bot.sla.sweep import SlaTimers
from bot.tickets import cards
from bot.tickets.intake import MessageIntake
from bot.tickets.people import TicketPeople
from bot.tickets.service import Actor, TicketService
from bot.timers import TimerRegistry, TimerSweep


@dataclass
class Services:
    config: LiaisonConfig
    clock: Clock
    database: Database
    gateway: SlackGateway
    agents: AgentDirectory
    tickets: TicketService
    dispatcher: OutboxDispatcher
    reactions: MessageIntake
    timers: TimerRegistry  # features register their timer kinds here
    sweep: TimerSweep
    oncall: OnCallDirectory
    feeds: FeedSync
    paging: PagingService
    escalation: EscalationPoint
    people: TicketPeople
    incidents: IncidentService
    channels: ChannelProvisioner
    patterns: PatternWatch
    digests: DigestService
    customers: SharedConversations
    routing: RoutingService
    satisfaction: SatisfactionSurvey

    @classmethod
    def build(cls, *, config: LiaisonConfig, clock: Clock, database: Database, client: WebClient) -> Services:
        gateway = SlackGateway(client)
        tickets = TicketService(database, clock, config)
        timers = TimerRegistry()
        SlaTimers(tickets).register(timers)
        oncall = OnCallDirectory(database, clock, config.oncall, gateway)
        paging = PagingService(database, clock, config.oncall, oncall, tickets, pagerduty=config.pagerduty)
        paging.register(timers)
        BreachLadder(paging).register(timers)
        people = TicketPeople(tickets)
        people.register()
        escalation = EscalationPoint(config.oncall, oncall)
        incidents = IncidentService(database, clock, config, tickets, paging)
        incidents.register()
        digests = DigestService(database, clock, config, gateway)
        agents = AgentDirectory(gateway, config, clock)
        customers = SharedConversations(database, config, tickets, agents, gateway)
        customers.register()
        routing = RoutingService(database, clock, config, tickets, paging)
        routing.register(timers)
        survey = SatisfactionSurvey(database, config, tickets, agents)
        survey.register()
        return cls(
            config=config,
            clock=clock,
            database=database,
            gateway=gateway,
            agents=agents,
            tickets=tickets,
            dispatcher=OutboxDispatcher(
                database,
                gateway,
                clock,
                render_card=cards.renderer(
                    tickets.sla.book,
                    escalation.line,
                    incident_queries.card_line,
                    satisfaction.card_line,
                    customer_context.card_line,
                ),
                adapters={pagerduty.METHOD: pagerduty.send, digest_service.CHART_METHOD: digests.send_chart},
                renderers={
                    "incident_summary": incident_queries.render_summary,
                    "incident_topic": incident_queries.render_topic,
                    digest_service.RENDERER: digests.render_run,
                    shared.STATUS_RENDERER: customers.render_status,
                    shared.REPLY_RENDERER: customers.render_reply,
                },
            ),
            reactions=MessageIntake(tickets, gateway),
            timers=timers,
            sweep=TimerSweep(database, clock, timers),
            oncall=oncall,
            feeds=FeedSync(database, clock, config.oncall),
            paging=paging,
            escalation=escalation,
            people=people,
            incidents=incidents,
            channels=ChannelProvisioner(database, clock, gateway, config.incidents, incidents),
            patterns=PatternWatch(database, clock, config.incidents, config.queue_channel),
            digests=digests,
            customers=customers,
            routing=routing,
            satisfaction=survey,
        )

    def actor(self, user_id: str) -> Actor:
        return Actor(user_id=user_id, is_agent=self.agents.is_agent(user_id))

    def is_admin(self, user_id: str) -> bool:
        return user_id in self.config.admins or self.agents.is_agent(user_id)
